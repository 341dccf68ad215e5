import type { OperatorTx } from './types.js';

/**
 * The operator argument as evaluated for one transaction: macros such as `%{tx.x}` are expanded at
 * evaluation time, and only when the argument contains one, so constant arguments cost nothing.
 */
export function argumentResolver(argument: string): (tx: OperatorTx) => string {
  return argument.includes('%{') ? (tx) => tx.expandMacros(argument) : () => argument;
}

/**
 * C `std::stoi` as ModSecurity uses it for the numeric operators: optional leading whitespace and
 * sign, then digits; text after the digits is ignored; no digits or a value outside 32-bit int
 * gives 0 (ModSecurity catches the exception and uses 0).
 */
export function toInt(text: string): number {
  // Plain short digit runs (TX counters, levels, lengths) skip the regex; 9 digits cannot overflow.
  if (text.length > 0 && text.length <= 9 && isDigits(text)) return Number(text);
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  if (m === null) return 0;
  const value = Number(m[1]);
  return value > 2147483647 || value < -2147483648 ? 0 : value;
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
