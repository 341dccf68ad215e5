import { argumentResolver } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input ends with the argument (case-sensitive). The argument may
 * hold macros.
 * Syntax: `@endsWith <string>`
 * Example: `SecRule REQUEST_LINE "!@endsWith HTTP/1.1" "id:1"`
 */
export const endsWith: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const suffix = resolve(tx);
      const matched = input.endsWith(suffix);
      if (matched) tx.setMatchedData(suffix);
      return matched;
    },
  };
};
