import type { Transformation } from './types.js';

/**
 * Description: Normalises a path: removes `./` self references and empty segments (`//`), and
 * resolves `../` against the previous segment without ever going above the root. A relative path
 * keeps the `../` it cannot resolve. A trailing slash survives only if the input had one.
 * `normalizePathWin` first turns every `\` into `/`. Also spelled `normalisePath(Win)`.
 * Syntax: `t:normalizePath`, `t:normalizePathWin`
 * Example: `/a/./b//c/../d` becomes `/a/b/d`; `../../etc` stays `../../etc`.
 */
export const normalizePath: Transformation = (input) => normalize(input, false);

export const normalizePathWin: Transformation = (input) => normalize(input, true);

/**
 * One left-to-right pass over the bytes with a write cursor, the algorithm of ModSecurity's
 * normalize_path_inplace. A `..` moves the write cursor back over one segment; every byte is
 * written at most once and un-written at most once, so the pass is linear.
 */
function normalize(input: string, win: boolean): string {
  const n = input.length;
  if (n === 0 || isNormal(input, win)) return input;
  // isNormal is cheap and misses some unchanged paths (`../x`, ` /`): those come back as sent.
  const out = normalizeBytes(input, win);
  return out === input ? input : out;
}

/**
 * True when the algorithm below would return the input unchanged: no segment `.` or ending in
 * `..` (the only dots it acts on: `.`, `..`, and ModSecurity's reading of `a..`; a segment such
 * as `answers.` it copies), no empty segment, no trailing slash to drop, no `\` to turn around.
 * Most values (argument values, e-mail addresses, prices, sentences, plain paths) are like this,
 * and the check allocates nothing.
 */
function isNormal(input: string, win: boolean): boolean {
  const n = input.length;
  let previousSlash = false;
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (win && c === 0x5c) return false;
    if (c === 0x2e) {
      const next = i + 1 < n ? input.charCodeAt(i + 1) : 0x2f;
      // Up to here the output is the input, so the byte the algorithm finds before this dot is
      // the input's: it acts when that is the start, a slash or another dot.
      if ((next === 0x2f || (win && next === 0x5c)) && (i === 0 || previousSlash || input.charCodeAt(i - 1) === 0x2e)) {
        return false;
      }
    }
    const slash = c === 0x2f;
    if (slash && previousSlash) return false;
    previousSlash = slash;
  }
  return !previousSlash || n === 1;
}

/** Exported for the property test that checks `isNormal` never changes an answer. */
export function normalizeBytes(input: string, win: boolean): string {
  const n = input.length;
  if (n === 0) return input;
  const src = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const c = input.charCodeAt(k);
    src[k] = win && c === 0x5c ? 0x2f : c;
  }
  const dst = new Uint8Array(n);
  const end = n - 1;
  const relative = src[0] !== 0x2f;
  const trailing = src[end] === 0x2f;
  let s = 0;
  let d = 0;
  let hitRoot = false;
  let done = false;
  while (!done && s <= end && d <= end) {
    let copy = true;
    if (s === end) done = true;
    if (done || src[s + 1] === 0x2f) {
      if (s !== end && src[s] === 0x2f) {
        // an empty segment: the copy below collapses the run of slashes
      } else if (src[s] === 0x2e) {
        if (d > 0 && dst[d - 1] === 0x2e) {
          if (relative && (hitRoot || d - 2 <= 0)) {
            // A `..` that cannot be resolved is kept; every later `..` is then kept too.
            hitRoot = true;
          } else {
            // Back-reference: drop `..` and the segment before it.
            d -= 3;
            while (d > 0 && dst[d] !== 0x2f) d--;
            if (d <= 0) {
              hitRoot = true;
              d = 0;
              if (!relative && s === end) d = 1;
            }
            if (done) break;
            s++;
          }
        } else if (d === 0) {
          // A leading `./` of a relative path.
          if (done) break;
          s++;
        } else if (dst[d - 1] === 0x2f) {
          // `/./`
          if (done) break;
          d--;
          s++;
        }
      } else if (d > 0) {
        hitRoot = false;
      }
    }
    if (src[s] === 0x2f) {
      while (s < end && src[s + 1] === 0x2f) s++;
      // The first slash of a relative path that lost its leading segments is not copied.
      if (relative && d === 0) {
        s++;
        copy = false;
      }
    }
    if (copy) dst[d++] = src[s++] as number;
  }
  if (!trailing && d > 0 && dst[d - 1] === 0x2f) d--;
  return Buffer.from(dst.buffer, 0, d).toString('latin1');
}
