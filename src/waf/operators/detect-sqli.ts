import { detectSQLi as detect } from '../libinjection/index.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the input tokenises as SQL injection (Portcullis's own
 * libinjection-equivalent detector, linear in the input). With `capture`, TX:0 receives the token
 * fingerprint, as ModSecurity does.
 * Syntax: `@detectSQLi`
 * Example: `SecRule ARGS "@detectSQLi" "id:1,capture"` matches `1' OR '1'='1`.
 */
export const detectSQLi: OperatorFactory = () => ({
  evaluate(tx, input) {
    const result = detect(input);
    if (!result.matched) return false;
    tx.setMatchedData(input);
    if (tx.capturing) tx.setCapture(0, result.fingerprint);
    return true;
  },
});
