#!/usr/bin/env node
// node bench/waf-engine-ab.mjs --against <dir> [--workloads get,post,attack] [--rounds 4] [--seconds 3]
//
// The WAF engine of two builds side by side: this tree's dist/ (run `npm run build` first) and
// <dir>/dist, e.g. a worktree of the commit before a change (`git worktree add /tmp/before HEAD~1
// && cd /tmp/before && ln -s <repo>/node_modules && npx tsc -p tsconfig.json`). Each measurement
// is its own process (two CRS copies in one process slow each other down), pinned to one CPU,
// alternating A, B, B, A, ... so a busy neighbour slows both alike; it runs the gateway harness's
// requests (../shared/bench/workloads.mjs) through CRS at PL1 for `--seconds` after a one-second
// warm-up and reports CPU µs per request, as `portcullis start` runs: allocation-site pretenuring
// off. Prints each round and the medians. Run it alone: `flock /tmp/portcullis-bench.lock ...`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { harnessRequest, option, root, shared } from './waf-harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => option(args, name, fallback);

if (args[0] === '--child') {
  await child(args[1], args[2], Number(args[3]));
  process.exit(0);
}

const against = opt('against', undefined);
if (against === undefined) {
  console.error('bench/waf-engine-ab.mjs: --against <dir> is required (a tree whose dist/ holds the other build).');
  process.exit(2);
}
const builds = { A: join(resolve(against), 'dist'), B: join(root, 'dist') };
for (const [name, dist] of Object.entries(builds)) {
  if (!existsSync(join(dist, 'waf', 'index.js'))) {
    console.error(`bench/waf-engine-ab.mjs: no build in ${dist} (${name}); run the TypeScript build there first.`);
    process.exit(2);
  }
}
const workloads = opt('workloads', 'get,post').split(',');
const rounds = Number(opt('rounds', '4'));
const seconds = opt('seconds', '3');
const cpu = opt('cpu', '1');
const known = Object.keys((await import(join(shared, 'bench', 'workloads.mjs'))).WORKLOADS);
const refuse = (sentence) => {
  console.error(`bench/waf-engine-ab.mjs: ${sentence}`);
  process.exit(2);
};
for (const w of workloads)
  if (!known.includes(w)) refuse(`unknown workload "${w}" (--workloads takes ${known.join(', ')}).`);
if (!Number.isInteger(rounds) || rounds < 1)
  refuse(`--rounds must be a whole number of at least 1, not "${opt('rounds')}".`);
if (!(Number(seconds) > 0)) refuse(`--seconds must be a positive number, not "${seconds}".`);

console.log(`A = ${builds.A}\nB = ${builds.B}`);
for (const workload of workloads) {
  const results = { A: [], B: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    for (const name of order) {
      const run = spawnSync(
        'taskset',
        [
          '-c',
          cpu,
          process.execPath,
          '--no-allocation-site-pretenuring',
          fileURLToPath(import.meta.url),
          '--child',
          builds[name],
          workload,
          seconds,
        ],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) {
        console.error(run.stderr);
        process.exit(1);
      }
      results[name].push(Number(run.stdout.trim()));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const show = (xs) => xs.map((x) => x.toFixed(0)).join(' / ');
  const a = median(results.A);
  const b = median(results.B);
  console.log(
    `${workload}: A ${show(results.A)} µs, B ${show(results.B)} µs; medians ${a.toFixed(0)} -> ${b.toFixed(0)} (B/A ${(b / a).toFixed(3)})`,
  );
}

/** One build, one workload: prints CPU µs per request. */
async function child(dist, workload, secs) {
  const one = await harnessRequest(dist, workload, 'ab');
  for (const start = performance.now(); performance.now() - start < 1000; ) one();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let n = 0;
  while (performance.now() - start < secs * 1000) {
    one();
    n++;
  }
  const used = process.cpuUsage(cpuStart);
  console.log(String((used.user + used.system) / n));
}
