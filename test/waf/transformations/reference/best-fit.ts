/**
 * The ASCII byte a `%uHHHH` escape decodes to when ModSecurity runs with the usual
 * `SecUnicodeMapFile unicode.mapping 20127` (US-ASCII best fit), as in CRS's reference setup:
 * accented Latin letters lose their accent, compatibility forms (full-width, spacing variants)
 * become their ASCII letter, typographic punctuation becomes its ASCII look-alike.
 *
 * Derived here from Unicode's own compatibility decompositions (NFKD, then dropping combining
 * marks), plus the punctuation and letter-with-stroke cases NFKD does not cover. Returns -1 when
 * there is no ASCII fit; the caller then keeps the low byte as ModSecurity does.
 */
export function bestFitAscii(codePoint: number): number {
  if (codePoint < 0x80) return codePoint;
  const cached = cache.get(codePoint);
  if (cached !== undefined) return cached;
  const fit = compute(codePoint);
  cache.set(codePoint, fit);
  return fit;
}

const cache = new Map<number, number>();

const EXTRA: Readonly<Record<number, string>> = {
  161: '!',
  162: 'c',
  164: '$',
  165: 'Y',
  166: '|',
  169: 'C',
  171: '<',
  173: '-',
  174: 'R',
  183: '.',
  184: ',',
  187: '>',
  198: 'A',
  208: 'D',
  216: 'O',
  230: 'a',
  248: 'o',
  272: 'D',
  273: 'd',
  294: 'H',
  295: 'h',
  305: 'i',
  321: 'L',
  322: 'l',
  338: 'O',
  339: 'o',
  358: 'T',
  359: 't',
  384: 'b',
  393: 'D',
  401: 'F',
  402: 'f',
  407: 'I',
  410: 'l',
  415: 'O',
  427: 't',
  430: 'T',
  438: 'z',
  484: 'G',
  485: 'g',
  609: 'g',
  697: "'",
  698: '"',
  700: "'",
  708: '^',
  710: '^',
  712: "'",
  715: '`',
  717: '_',
  732: '~',
  768: '`',
  770: '^',
  771: '~',
  782: '"',
  817: '_',
  818: '_',
  8208: '-',
  8209: '-',
  8211: '-',
  8212: '-',
  8216: "'",
  8217: "'",
  8218: ',',
  8220: '"',
  8221: '"',
  8222: '"',
  8226: '.',
  8230: '.',
  8242: "'",
  8245: '`',
  8249: '<',
  8250: '>',
};

function compute(codePoint: number): number {
  const extra = EXTRA[codePoint];
  if (extra !== undefined) return extra.charCodeAt(0);
  // The US-ASCII best-fit table covers Latin letters (Latin-1 Supplement, Latin Extended-A/B),
  // the typographic spaces and the full-width forms; other compatibility characters (superscripts,
  // fractions, ligatures...) keep ModSecurity's low-byte result.
  const inScope =
    (codePoint >= 0x00a0 && codePoint <= 0x024f) ||
    (codePoint >= 0x2000 && codePoint <= 0x2006) ||
    codePoint === 0x2122 ||
    (codePoint >= 0xff01 && codePoint <= 0xff5e);
  if (!inScope) return -1;
  const decomposed = String.fromCodePoint(codePoint)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
  const first = decomposed.charCodeAt(0);
  // One ASCII character, or an abbreviation such as ™ -> "TM" whose first letter is kept.
  if (first === 0x20 && codePoint !== 0x00a0 && codePoint < 0x2000) return -1; // spacing accents
  if (first >= 0x20 && first < 0x7f && /^[\x20-\x7e]+$/.test(decomposed)) return first;
  return -1;
}
