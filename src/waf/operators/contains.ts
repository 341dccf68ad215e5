import { argumentResolver } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the argument occurs anywhere in the input (case-sensitive). With
 * `capture`, TX:0 receives the argument. The argument may hold macros.
 * Syntax: `@contains <string>`
 * Example: `SecRule REQUEST_LINE "@contains .php" "id:1"`
 */
export const contains: OperatorFactory = (argument) => {
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
