import { argumentResolver } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input equals the argument exactly (case-sensitive). The argument
 * may hold macros.
 * Syntax: `@streq <string>`
 * Example: `SecRule REQUEST_METHOD "@streq POST" "id:1"`
 */
export const streq: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const matched = input === resolve(tx);
      if (matched) tx.setMatchedData(input);
      return matched;
    },
  };
};
