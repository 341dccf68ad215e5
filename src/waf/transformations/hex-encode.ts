import type { Transformation } from './types.js';

/**
 * Description: Encodes each byte as two lower-case hex digits.
 * Syntax: `t:hexEncode`
 * Example: `AB` becomes `4142`.
 */
export const hexEncode: Transformation = (input) => Buffer.from(input, 'latin1').toString('hex');
