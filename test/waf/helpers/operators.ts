/**
 * A few operators for engine tests that must not depend on the full operator registry: the
 * engine's behaviour (chains, setvar, exclusions...) is what these tests check.
 */
import type { Operator, OperatorFactory } from '../../../src/waf/operators/types.js';

const num = (s: string) => Number.parseInt(s, 10) || 0;
const compare =
  (f: (a: number, b: number) => boolean): OperatorFactory =>
  (arg) => ({ evaluate: (tx, input) => f(num(input), num(tx.expandMacros(arg))) });

export const TEST_OPERATORS: ReadonlyMap<string, OperatorFactory> = new Map<string, OperatorFactory>([
  [
    'rx',
    (arg): Operator => {
      let source = arg;
      let flags = 's';
      if (source.startsWith('(?i)')) {
        source = source.slice(4);
        flags += 'i';
      }
      const re = new RegExp(source, flags);
      return {
        evaluate(tx, input) {
          const m = re.exec(input);
          if (!m) return false;
          tx.setMatchedData(m[0]);
          if (tx.capturing) for (let i = 0; i < Math.min(m.length, 10); i++) tx.setCapture(i, m[i] ?? '');
          return true;
        },
      };
    },
  ],
  ['eq', compare((a, b) => a === b)],
  ['ge', compare((a, b) => a >= b)],
  ['gt', compare((a, b) => a > b)],
  ['lt', compare((a, b) => a < b)],
  ['le', compare((a, b) => a <= b)],
  ['streq', (arg) => ({ evaluate: (tx, input) => input === tx.expandMacros(arg) })],
  ['contains', (arg) => ({ evaluate: (tx, input) => input.includes(tx.expandMacros(arg)) })],
  ['within', (arg) => ({ evaluate: (tx, input) => tx.expandMacros(arg).includes(input) })],
  [
    'pm',
    (arg) => {
      const words = arg.toLowerCase().split(/\s+/).filter(Boolean);
      return { evaluate: (_tx, input) => words.some((w) => input.toLowerCase().includes(w)) };
    },
  ],
  ['unconditionalMatch', () => ({ evaluate: () => true })],
]);

export const TEST_TRANSFORMATIONS = new Map<string, (s: string) => string>([
  ['lowercase', (s) => s.toLowerCase()],
  [
    'urlDecodeUni',
    (s) => s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
  ],
  ['removeWhitespace', (s) => s.replace(/\s+/g, '')],
  ['length', (s) => String(s.length)],
]);
