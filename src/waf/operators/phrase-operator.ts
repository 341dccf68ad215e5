import { PhraseMatcher } from '../regex/index.js';
import type { Operator } from './types.js';

/** The shared evaluation of @pm and @pmFromFile: the first phrase found, case-insensitively. */
export function phraseOperator(phrases: readonly string[]): Operator {
  const matcher = new PhraseMatcher(phrases);
  // No phrase fits in a shorter value (numbers, short words: much of what @pmFromFile sees).
  let shortest = Number.POSITIVE_INFINITY;
  for (const p of phrases) shortest = Math.min(shortest, p.length);
  return {
    // A value holds a phrase exactly when the engine's literal index finds one: a clear bit
    // there settles the common "no phrase" case without this operator's own pass.
    requiredLiterals: phrases.map((p) => p.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())),
    evaluate(tx, input) {
      if (input.length < shortest) return false;
      const hit = matcher.find(input);
      if (hit === null) return false;
      const phrase = matcher.phrase(hit.phrase);
      tx.setMatchedData(input.slice(hit.end - phrase.length, hit.end));
      if (tx.capturing) tx.setCapture(0, input.slice(hit.end - phrase.length, hit.end));
      return true;
    },
  };
}
