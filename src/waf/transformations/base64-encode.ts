import type { Transformation } from './types.js';

/**
 * Description: Encodes the value as standard Base64 with padding.
 * Syntax: `t:base64Encode`
 * Example: `select` becomes `c2VsZWN0`.
 */
export const base64Encode: Transformation = (input) => Buffer.from(input, 'latin1').toString('base64');
