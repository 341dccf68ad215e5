import { phraseOperator } from './phrase-operator.js';
import { parsePhraseList } from './phrases.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when any of the space-separated phrases occurs in the input, ignoring
 * ASCII case (Aho-Corasick: one pass over the input however many phrases). `|hex|` sections
 * spell bytes. With `capture`, TX:0 receives the phrase as found.
 * Syntax: `@pm <phrase> <phrase> ...`
 * Example: `SecRule REQUEST_HEADERS:User-Agent "@pm nikto sqlmap |00|" "id:1"`
 */
export const pm: OperatorFactory = (argument) => {
  const phrases = parsePhraseList(argument);
  if (phrases.length === 0) throw new Error('@pm needs at least one phrase');
  return phraseOperator(phrases);
};
