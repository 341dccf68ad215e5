/**
 * Splits a @pm argument into phrases as ModSecurity does: `|hex hex|` sections become the bytes
 * they spell (Snort-style content), a backslash makes the next byte literal, and the result is
 * cut at whitespace.
 */
export function parsePhraseList(argument: string): string[] {
  let text = argument;
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
  const phrases: string[] = [];
  let current = '';
  let inHex = false;
  let hexDigits = '';
  const flush = (): void => {
    if (current !== '') phrases.push(current);
    current = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inHex) {
      if (c === '|') {
        inHex = false;
        if (hexDigits.length % 2 !== 0) throw new Error('odd number of hex digits in a |...| section');
        for (let k = 0; k < hexDigits.length; k += 2)
          current += String.fromCharCode(Number.parseInt(hexDigits.slice(k, k + 2), 16));
        hexDigits = '';
      } else if (/[0-9a-fA-F]/.test(c)) hexDigits += c;
      else if (c !== ' ') throw new Error(`invalid byte ${JSON.stringify(c)} in a |...| hex section`);
      continue;
    }
    if (c === '|') inHex = true;
    else if (c === '\\' && i + 1 < text.length) current += text[++i];
    else if (/[ \t\n\v\f\r]/.test(c)) flush();
    else current += c;
  }
  if (inHex) throw new Error('unterminated |...| hex section');
  flush();
  return phrases;
}
