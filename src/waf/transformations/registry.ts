import { base64Decode, base64DecodeExt } from './base64-decode.js';
import { base64Encode } from './base64-encode.js';
import { cmdLine } from './cmd-line.js';
import { compressWhitespace } from './compress-whitespace.js';
import { cssDecode } from './css-decode.js';
import { escapeSeqDecode } from './escape-seq-decode.js';
import { hexDecode } from './hex-decode.js';
import { hexEncode } from './hex-encode.js';
import { htmlEntityDecode } from './html-entity-decode.js';
import { jsDecode } from './js-decode.js';
import { length } from './length.js';
import { lowercase } from './lowercase.js';
import { md5 } from './md5.js';
import { NameRegistry } from './name-registry.js';
import { none } from './none.js';
import { normalizePath, normalizePathWin } from './normalize-path.js';
import { parityEven7bit, parityOdd7bit, parityZero7bit } from './parity.js';
import { removeComments } from './remove-comments.js';
import { removeCommentsChar } from './remove-comments-char.js';
import { removeNulls } from './remove-nulls.js';
import { removeWhitespace } from './remove-whitespace.js';
import { replaceComments } from './replace-comments.js';
import { replaceNulls } from './replace-nulls.js';
import { sha1 } from './sha1.js';
import { sqlHexDecode } from './sql-hex-decode.js';
import { trim, trimLeft, trimRight } from './trim.js';
import type { Transformation } from './types.js';
import { uppercase } from './uppercase.js';
import { urlDecode } from './url-decode.js';
import { urlDecodeUni } from './url-decode-uni.js';
import { urlEncode } from './url-encode.js';
import { utf8toUnicode } from './utf8-to-unicode.js';

/**
 * Every supported transformation by its SecLang name (`t:<name>`). Lookups ignore case, as
 * ModSecurity's parser does; iteration yields the canonical names.
 */
export const TRANSFORMATIONS: ReadonlyMap<string, Transformation> = new NameRegistry<Transformation>([
  ['none', none],
  ['lowercase', lowercase],
  ['uppercase', uppercase],
  ['urlDecode', urlDecode],
  ['urlDecodeUni', urlDecodeUni],
  ['urlEncode', urlEncode],
  ['htmlEntityDecode', htmlEntityDecode],
  ['jsDecode', jsDecode],
  ['cssDecode', cssDecode],
  ['cmdLine', cmdLine],
  ['compressWhitespace', compressWhitespace],
  ['removeWhitespace', removeWhitespace],
  ['removeNulls', removeNulls],
  ['replaceNulls', replaceNulls],
  ['replaceComments', replaceComments],
  ['removeComments', removeComments],
  ['removeCommentsChar', removeCommentsChar],
  ['normalizePath', normalizePath],
  ['normalisePath', normalizePath],
  ['normalizePathWin', normalizePathWin],
  ['normalisePathWin', normalizePathWin],
  ['base64Decode', base64Decode],
  ['base64DecodeExt', base64DecodeExt],
  ['base64Encode', base64Encode],
  ['hexDecode', hexDecode],
  ['hexEncode', hexEncode],
  ['length', length],
  ['md5', md5],
  ['sha1', sha1],
  ['sqlHexDecode', sqlHexDecode],
  ['trim', trim],
  ['trimLeft', trimLeft],
  ['trimRight', trimRight],
  ['utf8toUnicode', utf8toUnicode],
  ['escapeSeqDecode', escapeSeqDecode],
  ['parityEven7bit', parityEven7bit],
  ['parityOdd7bit', parityOdd7bit],
  ['parityZero7bit', parityZero7bit],
]);
