import type { BodyProcessor } from './types.js';

/**
 * Decodes `%XX` and `+` the lenient way ModSecurity does for arguments
 * (urldecode_nonstrict): an invalid escape is kept as written.
 */
export function urlDecodeLenient(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '+') out += ' ';
    else if (c === '%' && i + 2 < text.length + 0 && isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2))) {
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += c;
  }
  return out;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

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
