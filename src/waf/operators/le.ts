import { argumentResolver, toInt } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input, read as an integer, is less than or equal to the argument. Both
 * sides are parsed as C `stoi` does (leading digits; no digits gives 0). The argument may hold
 * macros.
 * Syntax: `@le <integer or %{macro}>`
 * Example: `SecRule &ARGS "@le 5" "id:1"` matches 5 and 4.
 */
export const le: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const matched = toInt(input) <= toInt(resolve(tx));
      if (matched) tx.setMatchedData(input);
      return matched;
    },
  };
};
