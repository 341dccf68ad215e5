import { argumentResolver } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input starts with the argument (case-sensitive). The argument may
 * hold macros.
 * Syntax: `@beginsWith <string>`
 * Example: `SecRule REQUEST_LINE "@beginsWith GET" "id:1"`
 */
export const beginsWith: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const prefix = resolve(tx);
      const matched = input.startsWith(prefix);
      if (matched) tx.setMatchedData(prefix);
      return matched;
    },
  };
};
