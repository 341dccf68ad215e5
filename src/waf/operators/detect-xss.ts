import { detectXSS as detect } from '../libinjection/index.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input parses as cross-site scripting in any HTML context
 * (Portcullis's own libinjection-equivalent detector, linear in the input).
 * Syntax: `@detectXSS`
 * Example: `SecRule ARGS "@detectXSS" "id:1"` matches `<img src=x onerror=alert(1)>`.
 */
export const detectXSS: OperatorFactory = () => ({
  evaluate(tx, input) {
    if (!detect(input)) return false;
    tx.setMatchedData(input);
    return true;
  },
});
