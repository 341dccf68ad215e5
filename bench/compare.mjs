#!/usr/bin/env node
// npm run bench:compare [-- --duration 8 --repeats 3 --configs proxy,jwt,full,waf-crs,ratelimit,validated]
//
// Portcullis against itself: several example configurations started at once, each pinned to
// the same gateway CPU, measured with wrk in interleaved, rotating order against one nginx
// upstream stub — the method of ../shared/bench (whose workloads and token it reuses), so ratios
// such as "JWT route / proxy-only" come from one run. Prints a markdown table and replaces the
// "Portcullis configurations side by side" section of BENCHMARKS.md.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '..', 'shared');
const { JWT_SECRET, UPSTREAM_BODY, luaScript } = await import(join(shared, 'bench', 'workloads.mjs'));

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const duration = Number(opt('duration', '8'));
const repeats = Number(opt('repeats', '3'));
const configs = opt('configs', 'proxy,jwt,ratelimit-memory,ratelimit-redis,validated,waf-crs,full').split(',');
const workloads = opt('workloads', 'get,post').split(',');
const gwCpu = opt('gw-cpu', '1');
const loadCpu = opt('load-cpu', '0');
for (const tool of ['wrk', 'nginx', 'taskset']) {
  if (spawnSync('which', [tool]).status !== 0) {
    console.error(`${tool} is not installed (run the shared harness once: it installs nginx and wrk)`);
    process.exit(2);
  }
}

execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
const run = mkdtempSync(join(tmpdir(), 'pc-compare-'));
mkdirSync(join(run, 'logs'));
const upstreamPort = 18170;
writeFileSync(
  join(run, 'nginx.conf'),
  `worker_processes 1; pid ${run}/nginx.pid; error_log ${run}/logs/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000;
  server { listen 127.0.0.1:${upstreamPort}; location / { client_body_buffer_size 64k; return 200 '${UPSTREAM_BODY}'; } } }
`,
);
const children = [];
const stub = spawnSync('taskset', ['-c', loadCpu, 'nginx', '-c', join(run, 'nginx.conf'), '-p', run]);
if (stub.status !== 0) {
  console.error(stub.stderr.toString());
  process.exit(1);
}
for (const w of workloads) writeFileSync(join(run, `${w}.lua`), luaScript(w));

// bench/configs/<name>.yaml (shaped for the harness workloads) first, else examples/<name>.yaml.
const configFile = (name) => {
  const own = join(root, 'bench', 'configs', `${name}.yaml`);
  return existsSync(own) ? own : join(root, 'examples', `${name}.yaml`);
};
const gateways = configs.map((name, i) => {
  const port = 18150 + i;
  const child = spawn(
    'taskset',
    ['-c', gwCpu, process.execPath, join(root, 'dist/cli/main.js'), 'start', '--config', configFile(name)],
    {
      env: {
        ...process.env,
        PORT: String(port),
        UPSTREAM: `http://127.0.0.1:${upstreamPort}`,
        CRS_DIR: process.env.CRS_DIR ?? join(shared, 'crs'),
        JWT_SECRET,
        PORTCULLIS_DATA_DIR: join(run, `data-${name}`),
        RATE_LIMIT_PER_MINUTE: '100000000',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    },
  );
  children.push(child);
  return { name, port, pid: child.pid };
});
const stop = () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {}
  }
  spawnSync('nginx', ['-c', join(run, 'nginx.conf'), '-p', run, '-s', 'stop']);
};
process.on('exit', stop);
process.on('SIGINT', () => process.exit(130));

async function waitFor(port) {
  for (let i = 0; i < 600; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return false;
}
for (const g of gateways) if (!(await waitFor(g.port))) throw new Error(`${g.name} did not start`);

// CPU time of the gateway's process tree (the taskset child and its node process).
function cpuTicks(pid) {
  let total = 0;
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
    .stdout.toString()
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  for (const p of [String(pid), ...out]) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      total += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return total;
}
const HZ = 100;

function wrk(port, workload, seconds) {
  const r = spawnSync('taskset', [
    '-c',
    loadCpu,
    'wrk',
    '-t1',
    '-c32',
    `-d${seconds}s`,
    '--timeout',
    '5s',
    '-s',
    join(run, `${workload}.lua`),
    `http://127.0.0.1:${port}`,
  ]);
  const line = r.stdout
    .toString()
    .split('\n')
    .find((l) => l.startsWith('BENCHJSON '));
  return line ? JSON.parse(line.slice(10)) : undefined;
}

const results = new Map();
for (const g of gateways) for (const w of workloads) wrk(g.port, w, 2); // warm-up: JIT, pools, caches
for (let rep = 0; rep < repeats; rep++) {
  const order = gateways.map((_, i) => gateways[(i + rep) % gateways.length]);
  for (const g of order) {
    for (const w of workloads) {
      const before = cpuTicks(g.pid);
      const s = wrk(g.port, w, duration);
      const ticks = cpuTicks(g.pid) - before;
      if (!s) continue;
      const key = `${g.name}|${w}`;
      const list = results.get(key) ?? [];
      const rps = s.requests / (s.duration_us / 1e6);
      const non2xx = s.errors.status;
      list.push({ rps, cpuUsPerReq: ((ticks / HZ) * 1e6) / s.requests, p99: s.lat_us.p99 / 1000, non2xx });
      results.set(key, list);
      process.stderr.write(`${g.name} ${w} rep${rep + 1}: ${Math.round(rps)} req/s\n`);
    }
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
let table =
  '| config | workload | req/s (median) | × proxy | gw CPU µs/req | p99 ms | non-2xx |\n|---|---|---:|---:|---:|---:|---:|\n';
for (const w of workloads) {
  const base = median((results.get(`proxy|${w}`) ?? []).map((r) => r.rps));
  for (const g of gateways) {
    const list = results.get(`${g.name}|${w}`) ?? [];
    if (list.length === 0) continue;
    const rps = median(list.map((r) => r.rps));
    table += `| ${g.name} | ${w} | ${Math.round(rps).toLocaleString('en')} | ${base ? (rps / base).toFixed(2) : '–'} | ${median(list.map((r) => r.cpuUsPerReq)).toFixed(1)} | ${median(list.map((r) => r.p99)).toFixed(2)} | ${median(list.map((r) => r.non2xx))} |\n`;
  }
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, node ${process.version}`;
const section = `## Portcullis configurations side by side

Measured ${new Date().toISOString()} on ${machine}; each gateway pinned to CPU ${gwCpu}, wrk and
the nginx stub on CPU ${loadCpu}; ${repeats} interleaved repeats of ${duration} s, medians.
Access logs off in every config (as for the peers).

\`\`\`sh
npm run bench:compare -- --duration ${duration} --repeats ${repeats} --configs ${configs.join(',')}
\`\`\`

${table}`;
console.log(section);
const file = join(root, 'BENCHMARKS.md');
let current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const marker = /## Portcullis configurations side by side[\s\S]*?(?=\n## |$)/;
current = marker.test(current)
  ? current.replace(marker, section.trimEnd() + '\n')
  : `${current.trimEnd()}\n\n${section}`;
writeFileSync(file, current);
process.exit(0);
