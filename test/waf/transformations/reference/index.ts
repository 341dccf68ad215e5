/**
 * The transformations whose cost work changed their code, as they were before it (commit
 * 313d6b0), kept as the oracle of src/waf/transformations/equivalence.test.ts. One deliberate
 * change: htmlEntityDecode no longer decodes `&constructor` (an object literal's prototype key)
 * to a NUL byte. Never used at run time.
 */
import { base64Decode, base64DecodeExt } from './base64-decode.js';
import { cmdLine } from './cmd-line.js';
import { compressWhitespace } from './compress-whitespace.js';
import { cssDecode } from './css-decode.js';
import { escapeSeqDecode } from './escape-seq-decode.js';
import { hexDecode } from './hex-decode.js';
import { htmlEntityDecode } from './html-entity-decode.js';
import { jsDecode } from './js-decode.js';
import { lowercase } from './lowercase.js';
import { parityEven7bit, parityOdd7bit, parityZero7bit } from './parity.js';
import { removeComments } from './remove-comments.js';
import { removeCommentsChar } from './remove-comments-char.js';
import { sqlHexDecode } from './sql-hex-decode.js';
import type { Transformation } from './types.js';
import { uppercase } from './uppercase.js';
import { urlDecode } from './url-decode.js';
import { urlDecodeUni } from './url-decode-uni.js';
import { urlEncode } from './url-encode.js';
import { utf8toUnicode } from './utf8-to-unicode.js';

export const REFERENCE: ReadonlyMap<string, Transformation> = new Map([
  ['lowercase', lowercase],
  ['uppercase', uppercase],
  ['utf8toUnicode', utf8toUnicode],
  ['urlDecode', urlDecode],
  ['urlDecodeUni', urlDecodeUni],
  ['urlEncode', urlEncode],
  ['htmlEntityDecode', htmlEntityDecode],
  ['jsDecode', jsDecode],
  ['cssDecode', cssDecode],
  ['cmdLine', cmdLine],
  ['compressWhitespace', compressWhitespace],
  ['removeComments', removeComments],
  ['removeCommentsChar', removeCommentsChar],
  ['base64Decode', base64Decode],
  ['base64DecodeExt', base64DecodeExt],
  ['hexDecode', hexDecode],
  ['sqlHexDecode', sqlHexDecode],
  ['escapeSeqDecode', escapeSeqDecode],
  ['parityEven7bit', parityEven7bit],
  ['parityOdd7bit', parityOdd7bit],
  ['parityZero7bit', parityZero7bit],
]);
