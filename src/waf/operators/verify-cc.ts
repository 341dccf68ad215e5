import { compileSeclangRegex } from '../regex/index.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Finds credit card number candidates with the given regex and matches when one of
 * them passes the Luhn check (non-digits inside a candidate are ignored). With `capture`, TX:0
 * receives the number.
 * Syntax: `@verifyCC <regex>`
 * Example: `SecRule RESPONSE_BODY "@verifyCC \d{13,16}" "id:1,capture"`
 */
export const verifyCC: OperatorFactory = (argument) => {
  const regex = compileSeclangRegex(argument);
  return {
    evaluate(tx, input) {
      // Each candidate search starts after the previous candidate, so the scan stays linear.
      let offset = 0;
      while (offset < input.length) {
        const m = regex.exec(input.slice(offset));
        if (m === null) return false;
        if (luhn(m[0])) {
          tx.setMatchedData(m[0]);
          if (tx.capturing) tx.setCapture(0, m[0]);
          return true;
        }
        offset += m.index + Math.max(1, m[0].length);
      }
      return false;
    },
  };
};

/** The Luhn (mod 10) check over the digits of `text`. */
export function luhn(text: string): boolean {
  let sum = 0;
  let count = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) continue;
    let d = c - 0x30;
    if (count % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    count++;
  }
  return count > 0 && sum % 10 === 0;
}
