import { argumentResolver } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the argument occurs anywhere in the input (case-sensitive substring).
 * Syntax: `@strmatch <string>`
 * Example: `SecRule REQUEST_LINE "@strmatch WebZIP" "id:1"`
 */
export const strmatch: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const needle = resolve(tx);
      const matched = input.includes(needle);
      if (matched) {
        tx.setMatchedData(needle);
        if (tx.capturing) tx.setCapture(0, needle);
      }
      return matched;
    },
  };
};
