import { createHash } from 'node:crypto';
import type { Transformation } from './types.js';

/**
 * Description: Replaces the value with its MD5 digest as 16 raw bytes (combine with hexEncode to
 * read it).
 * Syntax: `t:md5`
 * Example: `t:md5,t:hexEncode` turns `abc` into `900150983cd24fb0d6963f7d28e17f72`.
 */
export const md5: Transformation = (input) => createHash('md5').update(input, 'latin1').digest().toString('latin1');
