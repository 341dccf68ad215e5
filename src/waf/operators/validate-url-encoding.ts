import { isHexDigit } from '../transformations/bytes.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input holds invalid URL encoding: a `%` not followed by two hex
 * digits, or too close to the end for them.
 * Syntax: `@validateUrlEncoding`
 * Example: `SecRule REQUEST_URI_RAW "@validateUrlEncoding" "id:1"` matches `/a%zz` and `/a%4`.
 */
export const validateUrlEncoding: OperatorFactory = () => ({
  evaluate(tx, input) {
    for (let i = input.indexOf('%'); i !== -1; i = input.indexOf('%', i + 1)) {
      if (i + 2 >= input.length || !isHexDigit(input.charCodeAt(i + 1)) || !isHexDigit(input.charCodeAt(i + 2))) {
        tx.setMatchedData(input);
        return true;
      }
      i += 2;
    }
    return false;
  },
});
