import type { Transformation } from './types.js';

/**
 * Description: Leaves the value unchanged. In a rule, `t:none` also discards the transformations
 * inherited from SecDefaultAction; that part is the engine's job.
 * Syntax: `t:none`
 * Example: `SecRule ARGS "@rx foo" "id:1,t:none,t:lowercase"`
 */
export const none: Transformation = (input) => input;
