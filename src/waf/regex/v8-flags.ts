import { setFlagsFromString } from 'node:v8';

/**
 * How many backtracks irregexp may spend on one match attempt before V8 restarts it on its
 * linear-time engine. Measured (bench/waf-regex.bench.ts): CRS patterns on benign values stay
 * far below it, and at this value the worst pathological input costs well under a millisecond
 * before the switch.
 */
export const BACKTRACKS_BEFORE_FALLBACK = 10_000;

/** V8's flag for its linear-time engine; a variable so that tools do not parse it as a literal. */
export const LINEAR_FLAG: string = 'l';

let applied: boolean | undefined;

/**
 * Turns on V8's linear-time regex engine as the fallback for excessive backtracking, and the `l`
 * flag used to check that a regex qualifies. V8 reads these flags when it compiles a regex, so they
 * must be set before the first rule is compiled; the module that compiles rules calls this on load.
 * Returns false when the runtime refused them (then no regex is reported as linear).
 */
export function enableLinearFallback(): boolean {
  if (applied !== undefined) return applied;
  try {
    setFlagsFromString('--enable-experimental-regexp-engine');
    setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
    new RegExp('a', LINEAR_FLAG);
    applied = true;
  } catch {
    applied = false;
  }
  return applied;
}
