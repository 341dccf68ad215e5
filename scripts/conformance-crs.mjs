#!/usr/bin/env node
// Runs the OWASP CRS regression suite against Portcullis in CRS's CI setup
// (examples/waf-conformance.yaml: PL4, DetectionOnly, marker rule, JSON audit log) and prints
// ftw's summary, ending with `N passed, N failed, N skipped`.
//
// Usage: node scripts/conformance-crs.mjs [extra ftw.mjs args, e.g. --include '^942']
// Needs ../shared/crs and ../shared/ftw beside the repository and a built dist/ (npm run build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const shared = resolve(root, '..', 'shared');
const crsDir = process.env.CRS_DIR ?? join(shared, 'crs');
const ftw = join(shared, 'ftw', 'ftw.mjs');
const backendScript = join(shared, 'ftw', 'anchor', 'backend.mjs');
for (const [what, path] of [
  ['CRS', join(crsDir, 'rules')],
  ['ftw.mjs', ftw],
  ['the test backend', backendScript],
]) {
  if (!existsSync(path)) {
    console.error(`conformance: ${what} not found at ${path}`);
    process.exit(2);
  }
}
if (!existsSync(join(root, 'dist', 'cli', 'main.js')) || process.env.BUILD !== '0') {
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    console.error(`conformance: build failed (exit ${build.status})`);
    process.exit(2);
  }
}

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

const work = mkdtempSync(join(tmpdir(), 'pc-conformance-'));
const log = join(work, 'waf.log');
writeFileSync(log, '');
const [port, backendPort] = [await freePort(), await freePort()];
const children = [];
const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

const backend = spawn(process.execPath, [backendScript, String(backendPort)], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
children.push(backend);
const gateway = spawn(
  process.execPath,
  [join(root, 'dist', 'cli', 'main.js'), 'start', '--config', join(root, 'examples', 'waf-conformance.yaml')],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      PORT: String(port),
      UPSTREAM: `http://127.0.0.1:${backendPort}`,
      CRS_DIR: crsDir,
      WAF_LOG: log,
      PORTCULLIS_DATA_DIR: join(work, 'data'),
    },
  },
);
children.push(gateway);
gateway.on('exit', (code) => {
  if (code !== null && code !== 0) {
    console.error(`conformance: the gateway exited with code ${code}`);
    process.exit(2);
  }
});

const deadline = Date.now() + 30_000;
for (;;) {
  const up = await new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(true));
    s.listen(port, '127.0.0.1', () => s.close(() => res(false)));
  });
  if (up) break;
  if (Date.now() > deadline) {
    console.error('conformance: the gateway did not start listening within 30 s');
    process.exit(2);
  }
  await new Promise((r) => setTimeout(r, 200));
}

const run = spawn(
  process.execPath,
  [ftw, '--target', `127.0.0.1:${port}`, '--log', log, '--log-format', 'json', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
run.on('exit', (code) => {
  stopAll();
  process.exit(code ?? 2);
});
