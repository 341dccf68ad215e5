#!/usr/bin/env node
// npm run bench [-- --scenario proxy|waf|full|ratelimit|validated|jwt] [--quick] [any run.sh option]
//
// Builds Portcullis, then runs the shared side-by-side harness (../shared/bench/run.sh) with
// Portcullis started from examples/<scenario>.yaml as the candidate, and writes the report to
// BENCHMARKS.md (table, command, date, machine). Peers run in the same invocation, so compare
// ratios (x node-raw, x nginx), not absolute numbers across runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '..', 'shared');
const args = process.argv.slice(2);
const take = (name, fallback) => {
  const i = args.indexOf(name);
  if (i === -1) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const scenario = take('--scenario', 'proxy');
const quick = args.includes('--quick');
if (quick) args.splice(args.indexOf('--quick'), 1);

const SCENARIOS = {
  proxy: { config: 'examples/proxy.yaml', peers: 'direct,nginx,node-raw,fastify' },
  waf: { config: 'examples/waf-crs.yaml', peers: 'direct,nginx,nginx-modsec,node-raw' },
  full: { config: 'examples/full.yaml', peers: 'direct,nginx,nginx-modsec,node-raw' },
  ratelimit: { config: 'examples/ratelimit.yaml', peers: 'direct,node-raw' },
  validated: { config: 'examples/validated.yaml', peers: 'direct,node-raw' },
};
const chosen = SCENARIOS[scenario];
if (!chosen) {
  console.error(`unknown scenario "${scenario}"; one of ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}
if (!existsSync(join(shared, 'bench', 'run.sh'))) {
  console.error(`the shared benchmark harness is not at ${join(shared, 'bench')}`);
  process.exit(2);
}

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const json = join(root, 'bench', 'results', `${scenario}-${stamp}.json`);
const md = join(root, 'bench', 'results', `${scenario}-${stamp}.md`);
const candidate = `CRS_DIR=\${CRS_DIR:-${join(shared, 'crs')}} node ${join(root, 'dist', 'cli', 'main.js')} start --config ${join(root, chosen.config)}`;
const harness = [
  join(shared, 'bench', 'run.sh'),
  '--candidate',
  candidate,
  '--candidate-port',
  '18090',
  '--candidate-name',
  `portcullis-${scenario}`,
  '--peers',
  chosen.peers,
  '--json',
  json,
  '--md',
  md,
  ...(quick ? ['--duration', '5', '--repeats', '1'] : []),
  ...args,
];
const run = spawnSync('bash', harness, { cwd: root, stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

const report = readFileSync(md, 'utf8');
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}`;
const section = `## Scenario \`${scenario}\` (${chosen.config})

Measured ${new Date().toISOString()} on ${machine}.

\`\`\`sh
npm run bench -- --scenario ${scenario}${quick ? ' --quick' : ''}${args.length ? ` ${args.join(' ')}` : ''}
\`\`\`

${report}
`;
const file = join(root, 'BENCHMARKS.md');
const header =
  '# Benchmarks\n\nProduced by `npm run bench` (bench/run.mjs over ../shared/bench/run.sh). Each scenario section is\nreplaced by its latest run; ratios inside one section come from one run.\n\n';
let current = existsSync(file) ? readFileSync(file, 'utf8') : header;
const marker = new RegExp(`## Scenario \`${scenario}\`[\\s\\S]*?(?=\\n## Scenario |$)`);
current = marker.test(current)
  ? current.replace(marker, section.trimEnd() + '\n')
  : `${current.trimEnd()}\n\n${section}`;
writeFileSync(file, current);
console.log(`BENCHMARKS.md updated (${scenario}); raw data in ${json}`);
