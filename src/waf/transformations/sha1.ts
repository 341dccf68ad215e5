import { createHash } from 'node:crypto';
import type { Transformation } from './types.js';

/**
 * Description: Replaces the value with its SHA-1 digest as 20 raw bytes (combine with hexEncode
 * to read it).
 * Syntax: `t:sha1`
 * Example: `t:sha1,t:hexEncode` turns `abc` into `a9993e364706816aba3e25717850c26c9cd0d89d`.
 */
export const sha1: Transformation = (input) => createHash('sha1').update(input, 'latin1').digest().toString('latin1');
