import { argumentResolver, toInt } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input, read as an integer, is greater than the argument. Both
 * sides are parsed as C `stoi` does (leading digits; no digits gives 0). The argument may hold
 * macros.
 * Syntax: `@gt <integer or %{macro}>`
 * Example: `SecRule &ARGS "@gt 5" "id:1"` matches 6.
 */
export const gt: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const matched = toInt(input) > toInt(resolve(tx));
      if (matched) tx.setMatchedData(input);
      return matched;
    },
  };
};
