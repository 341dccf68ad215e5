import { compileSeclangRegex, type SeclangRegex } from '../regex/index.js';
import { argumentResolver } from './argument.js';
import type { Operator, OperatorFactory, OperatorTx } from './types.js';

/** ModSecurity fills TX:0 (whole match) to TX:9 and no further. */
const MAX_CAPTURE = 9;

/**
 * Description: Matches when the regular expression (PCRE syntax, as ModSecurity) finds a match in
 * the input. With `capture`, TX:0 receives the whole match and TX:1-TX:9 the groups that took
 * part. The pattern runs over bytes; V8's linear-time engine takes over from any match attempt
 * that backtracks excessively, so no input can cost more than a bounded, linear time (see
 * docs/reference/seclang-operators.md). A pattern holding a macro is compiled per distinct
 * expansion.
 * Syntax: `@rx <pattern>`
 * Example: `SecRule ARGS "@rx (?i)\bunion\b.{1,100}?\bselect\b" "id:1,capture"`
 */
export const rx: OperatorFactory = (argument) => {
  if (!argument.includes('%{')) return regexOperator(compileSeclangRegex(argument));
  const resolve = argumentResolver(argument);
  const compiled = new Map<string, Operator>();
  return {
    evaluate(tx, input) {
      const pattern = resolve(tx);
      let operator = compiled.get(pattern);
      if (operator === undefined) {
        // The expansion comes from the request in the worst case: keep the cache bounded.
        if (compiled.size >= 64) compiled.clear();
        try {
          operator = regexOperator(compileSeclangRegex(pattern));
        } catch {
          operator = { evaluate: () => false };
        }
        compiled.set(pattern, operator);
      }
      return operator.evaluate(tx, input);
    },
  };
};

/**
 * Values longer than this that match a rule without `capture` report the whole value as matched
 * data instead of running the backtracking engine to locate the match: the DFA has already
 * decided, and locating costs V8 time that grows with the value.
 */
const LOCATE_LIMIT = 4096;

function regexOperator(regex: SeclangRegex): Operator {
  return {
    get requiredLiterals() {
      return regex.requiredLiterals;
    },
    evaluate(tx: OperatorTx, input: string) {
      if (!tx.capturing && input.length > LOCATE_LIMIT) {
        if (!regex.test(input)) return false;
        tx.setMatchedData(input);
        return true;
      }
      const m = regex.exec(input);
      if (m === null) return false;
      tx.setMatchedData(m[0]);
      if (!tx.capturing) return true;
      const last = Math.min(MAX_CAPTURE, m.length - 1);
      for (let i = 0; i <= last; i++) {
        const group = m[i];
        if (group !== undefined) tx.setCapture(i, group);
      }
      return true;
    },
  };
}
