import { lowercase } from './lowercase.js';
import type { Transformation } from './types.js';

/**
 * Description: Normalises a command line the way shells and cmd.exe read it, to defeat evasions
 * such as `c^ommand /c` or `"c"md`: deletes `\ " ' ^`; turns each run of space, tab, CR, LF,
 * `,` and `;` into one space; drops a space before `/` or `(`; lower-cases ASCII letters.
 * Syntax: `t:cmdLine`
 * Example: `C^OMMAND /C DIR` becomes `command/c dir`.
 */
export const cmdLine: Transformation = (input) => lowercase(separators(input));

/**
 * Everything cmdLine does but lower-casing, which commutes with it: the bytes it deletes or
 * merges are never letters. Returns the input itself when there is nothing to do.
 */
function separators(input: string): string {
  const n = input.length;
  // The first byte that does not come out as it went in; most values have none.
  const first = input.search(CHANGES);
  if (first === -1) return input;
  // From the first byte that changes, the text is rebuilt; the bytes copied unchanged are
  // gathered into runs (`run` to the current byte) instead of being appended one at a time.
  let out = input.slice(0, first);
  let run = first;
  // A space just before `first` was kept, and still counts as the pending separator.
  let space = first > 0 && input.charCodeAt(first - 1) === 0x20;
  for (let i = first; i < n; i++) {
    const c = input.charCodeAt(i);
    const kind = c < 128 ? (KIND[c] as number) : COPY;
    if (kind === COPY && !space) continue;
    out += input.slice(run, i);
    run = i + 1;
    switch (kind) {
      case DELETE:
        break;
      case SPACE:
        if (!space) out += ' ';
        space = true;
        break;
      case BEFORE_SPACE_DROPPED:
        if (space) out = out.slice(0, -1);
        space = false;
        run = i;
        break;
      default:
        space = false;
        run = i;
    }
  }
  return out + input.slice(run);
}

const COPY = 0;
const DELETE = 1;
const SPACE = 2;
const BEFORE_SPACE_DROPPED = 3;
/** What cmdLine does with each ASCII byte (letters aside); every other byte is copied. */
const KIND = new Uint8Array(128);
for (const c of [0x22, 0x27, 0x5c, 0x5e]) KIND[c] = DELETE;
for (const c of [0x20, 0x2c, 0x3b, 0x09, 0x0d, 0x0a]) KIND[c] = SPACE;
KIND[0x2f] = BEFORE_SPACE_DROPPED;
KIND[0x28] = BEFORE_SPACE_DROPPED;

/**
 * Where separators() changes something: a byte it deletes, a separator other than a space, or a
 * space followed by a separator, `/` or `(` (merged or dropped).
 */
const CHANGES = /["'\\^,;\t\r\n]| [ ,;\t\r\n/(]/;
