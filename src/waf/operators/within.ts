import { argumentResolver } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input occurs anywhere inside the argument (the reverse of
 * @contains). An empty input matches, as in ModSecurity. CRS uses it with space-separated lists
 * held in TX variables.
 * Syntax: `@within <string>`
 * Example: `SecRule REQUEST_METHOD "!@within %{tx.allowed_methods}" "id:1"`
 */
export const within: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const haystack = resolve(tx);
      const matched = haystack.includes(input);
      if (matched) {
        tx.setMatchedData(input);
        if (tx.capturing) tx.setCapture(0, input);
      }
      return matched;
    },
  };
};
