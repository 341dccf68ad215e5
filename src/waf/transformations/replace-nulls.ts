import type { Transformation } from './types.js';

/**
 * Description: Replaces every NUL byte with a space.
 * Syntax: `t:replaceNulls`
 * Example: `a\0b` becomes `a b`.
 */
export const replaceNulls: Transformation = (input) =>
  input.indexOf('\0') === -1 ? input : input.replaceAll('\0', ' ');
