import type { Transformation } from './types.js';

/**
 * Description: Removes every NUL byte.
 * Syntax: `t:removeNulls`
 * Example: `a\0b` becomes `ab`.
 */
export const removeNulls: Transformation = (input) => (input.indexOf('\0') === -1 ? input : input.replaceAll('\0', ''));
