import type { OperatorFactory } from './types.js';

/**
 * Description: Never matches.
 * Syntax: `@noMatch`
 * Example: `SecRule REMOTE_ADDR "@noMatch" "id:1,pass"`
 */
export const noMatch: OperatorFactory = () => ({
  evaluate: () => false,
});
