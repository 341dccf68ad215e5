import type { Transformation } from './types.js';

/**
 * Description: Replaces the value with its length in bytes, in decimal.
 * Syntax: `t:length`
 * Example: `hello` becomes `5`.
 */
export const length: Transformation = (input) => String(input.length);
