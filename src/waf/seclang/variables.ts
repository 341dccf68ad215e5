import type { VariableSelector } from '../engine/types.js';

/** Variables whose key after ':' is an XPath expression, never a regex. */
const XPATH_VARIABLES = new Set(['XML']);

/**
 * Parses a rule's target list: `ARGS|!ARGS:foo|&TX:x|REQUEST_HEADERS:/^x-/|XML:/*`.
 *
 * ModSecurity: `|` separates targets except inside a /regex/ key; `!` excludes a key from the
 * collection, `&` counts; a key in single quotes may hold a regex (`ARGS:'/^a|b$/'`).
 * `knownVariable` rejects unknown names so a typo fails at load, not silently at run time.
 */
export function parseVariables(text: string, knownVariable: (name: string) => boolean): VariableSelector[] {
  const out: VariableSelector[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let exclude = false;
    let count = false;
    if (text[i] === '!') {
      exclude = true;
      i++;
    } else if (text[i] === '&') {
      count = true;
      i++;
    }
    let j = i;
    while (j < n && text[j] !== ':' && text[j] !== '|') j++;
    const name = text.slice(i, j).trim().toUpperCase();
    if (name === '') throw new Error(`empty variable name in "${text}"`);
    if (!knownVariable(name)) throw new Error(`unknown variable ${name}`);
    i = j;
    let key: string | undefined;
    let keyRegex: RegExp | undefined;
    if (text[i] === ':') {
      i++;
      let raw: string;
      let quoted = false;
      if (text[i] === "'") {
        const end = text.indexOf("'", i + 1);
        if (end === -1) throw new Error(`unclosed quote in variable key of ${name}`);
        raw = text.slice(i + 1, end);
        i = end + 1;
        quoted = true;
      } else if (text[i] === '/' && !XPATH_VARIABLES.has(name)) {
        let k = i + 1;
        for (; k < n; k++) {
          if (text[k] === '\\') {
            k++;
            continue;
          }
          if (text[k] === '/') break;
        }
        if (k >= n) throw new Error(`unterminated regex key in variable ${name}`);
        raw = text.slice(i, k + 1);
        i = k + 1;
      } else {
        let k = i;
        while (k < n && text[k] !== '|') k++;
        raw = text.slice(i, k);
        i = k;
      }
      if (!XPATH_VARIABLES.has(name) && raw.length >= 2 && raw.startsWith('/') && raw.endsWith('/')) {
        keyRegex = compileKeyRegex(raw.slice(1, -1), name);
      } else {
        key = quoted ? raw : raw.trim();
      }
    }
    while (i < n && text[i] === ' ') i++;
    if (i < n) {
      if (text[i] !== '|') throw new Error(`unexpected "${text[i]}" after variable ${name}`);
      i++;
    }
    // One field order for every selector (undefined when absent): one hidden class for the
    // rule loop's reads.
    const word = keyRegex ? plainWord(keyRegex.source) : undefined;
    out.push({
      name,
      key,
      keyLower: key?.toLowerCase(),
      keyRegex,
      keyLiteral: word?.keyLiteral,
      keyAnchored: word?.keyAnchored,
      count,
      exclude,
    });
  }
  if (out.length === 0) throw new Error('no variables');
  return out;
}

/** `^word` or `word` (letters, digits, `_`, `-`): a case-insensitive prefix or substring test. */
function plainWord(source: string): { keyLiteral: string | undefined; keyAnchored: boolean | undefined } {
  const m = /^(\^?)([A-Za-z0-9_-]+)$/.exec(source);
  return m === null
    ? { keyLiteral: undefined, keyAnchored: undefined }
    : { keyLiteral: m[2]!.toLowerCase(), keyAnchored: m[1] === '^' };
}

/** Whether a key (and its lower-cased form) matches a selector's key regex. */
export function keyRegexHits(sel: VariableSelector, key: string, lower: string): boolean {
  const literal = sel.keyLiteral;
  if (literal !== undefined) return sel.keyAnchored ? lower.startsWith(literal) : lower.includes(literal);
  return sel.keyRegex!.test(key);
}

function compileKeyRegex(source: string, name: string): RegExp {
  try {
    return new RegExp(source, 'i');
  } catch (err) {
    throw new Error(`bad regex key for ${name}: ${(err as Error).message}`);
  }
}
