import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * The gateway's cap on V8's young generation, in MiB per semi-space (docs/architecture.md,
 * "Memory"). V8 (Node 20) grows a semi-space up to 16 MiB under sustained allocation, i.e. 32 MiB
 * of new space that stays resident; a proxy's young objects live for one request, so 4 MiB
 * semi-spaces hold every in-flight request with room to spare and take ~24 MiB off the peak RSS.
 */
export const DEFAULT_SEMI_SPACE_MB = 4;

/** V8 options by which the operator sizes the young generation himself: then we leave it alone. */
const OPERATOR_FLAGS = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;

/**
 * The semi-space cap in MiB for this process, or undefined to leave V8's own sizing: `--semi-space
 * N` on the command line, else PORTCULLIS_SEMI_SPACE_MB, else the default; 0 turns it off, and so
 * does any semi-space flag given to node itself (command line or NODE_OPTIONS).
 */
export function semiSpaceCap(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[] = process.execArgv,
): number | undefined {
  if (execArgv.some((a) => OPERATOR_FLAGS.test(a)) || OPERATOR_FLAGS.test(env.NODE_OPTIONS ?? '')) return undefined;
  let raw = env.PORTCULLIS_SEMI_SPACE_MB || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--semi-space') raw = argv[i + 1];
    else if (arg.startsWith('--semi-space=')) raw = arg.slice('--semi-space='.length);
  }
  if (raw === undefined) return DEFAULT_SEMI_SPACE_MB;
  const mb = raw.trim() === '' ? Number.NaN : Number(raw);
  // V8 sizes semi-spaces in powers of two from 1 MiB up to 16 MiB (64-bit, Node 20).
  if (!Number.isInteger(mb) || mb < 0 || (mb !== 0 && (mb > 16 || (mb & (mb - 1)) !== 0)))
    throw new Error(`--semi-space / PORTCULLIS_SEMI_SPACE_MB must be 0 (off) or 1, 2, 4, 8 or 16 MiB, not "${raw}"`);
  return mb === 0 ? undefined : mb;
}

/** Whether the operator chose the cap (`--semi-space` or PORTCULLIS_SEMI_SPACE_MB) rather than the default. */
export function semiSpaceExplicit(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return (
    Boolean(env.PORTCULLIS_SEMI_SPACE_MB) || argv.some((a) => a === '--semi-space' || a.startsWith('--semi-space='))
  );
}

/** V8 options by which the operator decides about allocation-site pretenuring himself. */
const PRETENURING_FLAG = /--(no[-_])?allocation[-_]site[-_]pretenuring/;

/**
 * Turns off V8's allocation-site pretenuring, unless the operator set it (command line or
 * NODE_OPTIONS); returns whether it did. Start-up (the rule compiler, the schemas) allocates mostly
 * long-lived objects, and V8 then allocates objects from the same allocation sites straight into
 * the old generation for the rest of the process: a per-request WAF value born there keeps every
 * young object it points to alive through scavenges, which promote them to the old generation in
 * turn (docs/architecture.md, "Memory"; measured on a 1 KB JSON POST with CRS: ~200 KB promoted
 * per request, gateway RSS 430 MB, against ~10 KB and 225 MB without). The gateway's per-request
 * objects die with their request, so it gives up pretenuring. Must run before the rules compile.
 */
export function avoidPretenuring(env: NodeJS.ProcessEnv, execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => PRETENURING_FLAG.test(a)) || PRETENURING_FLAG.test(env.NODE_OPTIONS ?? '')) return false;
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}

/** V8 options by which the operator decides how scavenges use threads. */
const SCAVENGE_THREADS_FLAG = /--(no[-_])?parallel[-_]scavenge|--single[-_]threaded([-_]gc)?\b/;

/**
 * On a process that may run on one CPU only (pinned with taskset or a cgroup cpuset, as the
 * benchmark pins each gateway), turns V8's parallel scavenging off, unless the operator chose
 * (command line or NODE_OPTIONS); returns whether it did. A parallel scavenge splits its work
 * between the main thread and V8's worker threads, and with one CPU the main thread waits for
 * workers that the scheduler runs only when it yields: scavenge pauses of 7-10 ms instead of ~1,
 * every request in flight held meanwhile (docs/architecture.md, "Tail latency"). The scavenger
 * reads the flag at every collection, so setting it at run time works (the marking and compaction
 * thread flags do not: V8 aborts when they change after start-up).
 */
export function scavengeOnMainThread(
  cpus: number,
  env: NodeJS.ProcessEnv,
  execArgv: readonly string[] = process.execArgv,
): boolean {
  if (cpus > 1) return false;
  if (execArgv.some((a) => SCAVENGE_THREADS_FLAG.test(a)) || SCAVENGE_THREADS_FLAG.test(env.NODE_OPTIONS ?? ''))
    return false;
  v8.setFlagsFromString('--no-parallel-scavenge');
  return true;
}

export interface YoungGenerationCap {
  /** Start-up is over: let the semi-space grow to the cap under load, and no further. */
  release(): void;
  /** V8's own growth again (tests, shutdown). */
  stop(): void;
}

/**
 * Scavenges may take this share of the time before the cap doubles. Measured under wrk on the
 * gateway's core (docs/architecture.md, "Memory"): the plain proxy at 4 MiB spends ~5 % in
 * scavenges (its young objects die with their request); the CRS route, whose WAF transactions stay
 * alive while they wait for the upstream, ~22 % at 4 MiB, so its cap doubles to 8 MiB, where it
 * settled in our runs (V8's own 16 MiB spends ~4 %).
 */
const MAX_SCAVENGE_SHARE = 0.06;
const WINDOW_MS = 2000;
const V8_MAX_SEMI_SPACE_MB = 16;

/**
 * Caps the young generation at run time. `--max-semi-space-size` only counts when V8 starts, and
 * re-executing node to pass it would keep a second process (~40 MiB) around; but V8 reads
 * `--semi-space-growth-factor` each time it grows a semi-space (it doubles by default). So: no
 * growth while start-up allocates its one-off garbage, then doubling until the cap, then none.
 * A GC observer keeps it there, including after V8 shrinks an idle young generation, and doubles
 * the cap while scavenges take more than MAX_SCAVENGE_SHARE of the time.
 */
export function capYoungGeneration(semiSpaceMb: number): YoungGenerationCap {
  let capMb = semiSpaceMb;
  let factor = 0;
  let windowStart = 0;
  let scavengeMs = 0;
  const setFactor = (next: number): void => {
    if (next === factor) return;
    factor = next;
    v8.setFlagsFromString(`--semi-space-growth-factor=${next}`);
  };
  const adjust = (): void => setFactor(semiSpaceBytes() >= capMb * 1024 * 1024 ? 1 : 2);
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR)
        scavengeMs += entry.duration;
    }
    const now = performance.now();
    if (now - windowStart >= WINDOW_MS) {
      if (scavengeMs > MAX_SCAVENGE_SHARE * (now - windowStart) && capMb < V8_MAX_SEMI_SPACE_MB) capMb *= 2;
      windowStart = now;
      scavengeMs = 0;
    }
    adjust();
  });
  setFactor(1);
  return {
    release() {
      windowStart = performance.now();
      observer.observe({ entryTypes: ['gc'] });
      adjust();
    },
    stop() {
      observer.disconnect();
      setFactor(2);
    },
  };
}

/** One semi-space's capacity: V8 reports new space as both of them. */
function semiSpaceBytes(): number {
  for (const space of v8.getHeapSpaceStatistics()) if (space.space_name === 'new_space') return space.space_size / 2;
  return 0;
}
