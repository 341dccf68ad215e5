#!/usr/bin/env node
// node bench/waf-engine-instr.mjs [--against <dir>] [--workloads get,post] [--warm 1500] [--requests 200]
//
// Instructions and simulated cache misses per WAF request, for builds compared on a machine too
// busy for CPU timings (other sessions' loads moved waf-engine-ab.mjs medians by ±30 % in round 5).
// Each measurement runs one build's engine under valgrind's callgrind with instrumentation off,
// warms it with `--warm` requests of a gateway-harness workload (../shared/bench/workloads.mjs),
// switches instrumentation on (callgrind_control), runs `--requests` more and reports the counts
// divided by that number. V8 runs single-threaded (compilation inline, so it lands in the warm-up
// and not in the measured requests) with allocation-site pretenuring off, as `portcullis start`.
// B is this tree's dist/ (build it first); A, with --against, is <dir>/dist. Counts repeat within
// 1-2 % from run to run with the default warm-up (after only 300 requests the JIT has not settled
// and they differ by 15 %); a run takes a minute or two (the warm-up runs at valgrind's speed).
// Needs valgrind; run it under `flock /tmp/portcullis-bench.lock`, as it loads a core.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { harnessRequest, option, root, shared } from './waf-harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => option(args, name, fallback);
const refuse = (sentence) => {
  console.error(`bench/waf-engine-instr.mjs: ${sentence}`);
  process.exit(2);
};

if (args[0] === '--child') {
  await child(args[1], args[2], Number(args[3]), Number(args[4]));
  process.exit(0);
}

const builds = [['B', join(root, 'dist')]];
const against = opt('against', undefined);
if (against !== undefined) builds.unshift(['A', join(resolve(against), 'dist')]);
for (const [name, dist] of builds) {
  if (!existsSync(join(dist, 'waf', 'index.js')))
    refuse(`no build in ${dist} (${name}); run the TypeScript build there first.`);
}
const workloads = opt('workloads', 'get,post').split(',');
const known = Object.keys((await import(join(shared, 'bench', 'workloads.mjs'))).WORKLOADS);
for (const w of workloads)
  if (!known.includes(w)) refuse(`unknown workload "${w}" (--workloads takes ${known.join(', ')}).`);
const warm = Number(opt('warm', '1500'));
const requests = Number(opt('requests', '200'));
if (!Number.isInteger(warm) || warm < 1) refuse(`--warm must be a whole number of at least 1, not "${opt('warm')}".`);
if (!Number.isInteger(requests) || requests < 1)
  refuse(`--requests must be a whole number of at least 1, not "${opt('requests')}".`);
if (spawnSync('valgrind', ['--version']).status !== 0) refuse('valgrind is not installed (apt-get install valgrind).');

for (const workload of workloads) {
  for (const [name, dist] of builds) {
    const c = await measure(dist, workload);
    const cycles = c.ir + 12 * (c.d1 + c.i1) + 80 * c.ll;
    console.log(
      `${workload} ${name}: ${(c.ir / 1e6).toFixed(3)} M instructions, D1 misses ${(c.d1 / 1e3).toFixed(1)} k, ` +
        `LL data misses ${(c.ll / 1e3).toFixed(2)} k, I1 misses ${(c.i1 / 1e3).toFixed(1)} k per request ` +
        `(~${(cycles / 1e6).toFixed(2)} M cycles at 12 per L1 and 80 per LL miss)`,
    );
  }
}

/** One build, one workload under callgrind: counts per request. */
async function measure(dist, workload) {
  const out = join(tmpdir(), `waf-engine-instr.${process.pid}.${Date.now()}`);
  const vg = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--cache-sim=yes',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--single-threaded',
      '--no-allocation-site-pretenuring',
      fileURLToPath(import.meta.url),
      '--child',
      dist,
      workload,
      String(warm),
      String(requests),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  vg.stderr.on('data', (d) => {
    stderr += d;
  });
  const lines = createInterface({ input: vg.stdout })[Symbol.asyncIterator]();
  const expect = async (word) => {
    const { value, done } = await lines.next();
    if (done || value.trim() !== word) throw new Error(`callgrind child did not say ${word}:\n${stderr}`);
  };
  await expect('warm');
  spawnSync('callgrind_control', ['--instr=on', String(vg.pid)]);
  vg.stdin.write('\n');
  await expect('done');
  spawnSync('callgrind_control', ['--instr=off', String(vg.pid)]);
  vg.stdin.write('\n');
  await new Promise((done) => vg.on('close', done));
  const text = readFileSync(out, 'utf8');
  rmSync(out);
  const events = /^events: (.*)$/m.exec(text)[1].split(' ');
  const totals = (/^totals: (.*)$/m.exec(text) ?? /^summary: (.*)$/m.exec(text))[1].split(' ').map(Number);
  const e = Object.fromEntries(events.map((name, i) => [name, totals[i] ?? 0]));
  return {
    ir: e.Ir / requests,
    d1: (e.D1mr + e.D1mw) / requests,
    i1: e.I1mr / requests,
    ll: (e.DLmr + e.DLmw) / requests,
  };
}

/** Runs under valgrind: warms up, says "warm", waits, runs the measured requests, says "done", waits. */
async function child(dist, workload, warmRequests, measured) {
  const one = await harnessRequest(dist, workload, 'instr');
  const input = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  for (let i = 0; i < warmRequests; i++) one();
  process.stdout.write('warm\n');
  await input.next();
  for (let i = 0; i < measured; i++) one();
  process.stdout.write('done\n');
  await input.next();
}
