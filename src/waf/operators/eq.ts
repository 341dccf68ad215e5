import { argumentResolver, toInt } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input, read as an integer, is equal to the argument. Both
 * sides are parsed as C `stoi` does (leading digits; no digits gives 0). The argument may hold
 * macros.
 * Syntax: `@eq <integer or %{macro}>`
 * Example: `SecRule &ARGS "@eq 5" "id:1"` matches 5.
 */
export const eq: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const matched = toInt(input) === toInt(resolve(tx));
      if (matched) tx.setMatchedData(input);
      return matched;
    },
  };
};
