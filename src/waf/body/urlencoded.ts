import { urlDecode } from '../transformations/url-decode.js';
import type { BodyProcessor } from './types.js';

/**
 * Decodes `%XX` and `+` the lenient way ModSecurity does for arguments
 * (urldecode_nonstrict): an invalid escape is kept as written. The same decoder as t:urlDecode,
 * which returns a value without escapes as it is.
 */
export const urlDecodeLenient: (text: string) => string = urlDecode;

/** Splits `a=1&b=2` into decoded pairs; a part without `=` is a name with an empty value. */
export function parseQueryString(text: string, add: (key: string, value: string) => boolean): void {
  if (text === '') return;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    if (!add(urlDecodeLenient(key), urlDecodeLenient(value))) return;
  }
}

/** application/x-www-form-urlencoded: every pair becomes an ARGS_POST entry. */
export const urlencoded: BodyProcessor = (body, _contentType, sink) => {
  let limited = false;
  parseQueryString(body, (k, v) => {
    if (sink.addArgument(k, v)) return true;
    limited = true;
    return false;
  });
  return limited ? { message: 'too many arguments' } : undefined;
};
