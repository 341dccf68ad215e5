import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CliIO } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { main } from '../../src/cli/main.js';

function io(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIO = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env, cwd };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

describe('portcullis CLI', () => {
  test('--help lists the commands; every command has --help', async () => {
    const t = io(tmpdir());
    assert.equal(await main(['--help'], t.io), 0);
    for (const name of ['init', 'start', 'check', 'version']) assert.match(t.out(), new RegExp(`\\n  ${name} `));
    const h = io(tmpdir());
    assert.equal(await main(['check', '--help'], h.io), 0);
    assert.match(h.out(), /Usage: portcullis check/);
  });

  test('the lazy command list agrees with every command module', async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      assert.equal(command.name, entry.name);
      assert.equal(command.summary, entry.summary, `summary of ${entry.name}`);
      assert.ok(command.help.length > 0);
    }
  });

  test('an unknown command is one plain sentence and exit 2', async () => {
    const t = io(tmpdir());
    assert.equal(await main(['frobnicate'], t.io), 2);
    assert.match(t.err(), /unknown command "frobnicate"/);
  });

  test('version prints the package version', async () => {
    const t = io(tmpdir());
    assert.equal(await main(['version'], t.io), 0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.match(t.out(), new RegExp(`portcullis ${pkg.version.replace(/\./g, '\\.')}`));
  });

  test('init writes a config that check accepts, a private data dir and a certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-init-'));
    const t = io(dir);
    assert.equal(await main(['init'], t.io), 0);
    assert.ok(existsSync(join(dir, 'portcullis.yaml')));
    assert.ok(existsSync(join(dir, 'data', 'tls', 'dev-cert.pem')));
    assert.equal(statSync(join(dir, 'data')).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'data', 'tls', 'dev-key.pem')).mode & 0o777, 0o600);
    const c = io(dir);
    assert.equal(await main(['check'], c.io), 0, c.err());
    const again = io(dir);
    assert.equal(await main(['init'], again.io), 0);
    assert.match(again.out(), /already exist/);
  });

  test('check names file, line, column and key path of every error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-check-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `listeners:
  - protocol: http
    host: 127.0.0.1
    port: 99999
upstreams:
  app:
    targets: ["http://127.0.0.1:1"]
routes:
  - name: r
    match: { path: /x }
    upstream: nowhere
    public: true
    colour: blue
`,
    );
    const t = io(dir);
    assert.equal(await main(['check', '--config', file], t.io), 1);
    const err = t.err();
    assert.match(err, /bad\.yaml:4:11: listeners\[0\]\.port: must be <= 65535/);
    assert.match(err, /bad\.yaml:13:5: routes\[0\]\.colour: unknown key/);
    assert.doesNotMatch(err, /at .*\.ts:\d+/, 'no stack trace');
  });

  test('check reports a route with no policy (default deny)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-check-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `listeners: [{ protocol: http, port: 0 }]
upstreams: { app: { targets: ["http://127.0.0.1:1"] } }
routes:
  - name: open-by-mistake
    match: { path: /x }
    upstream: app
`,
    );
    const t = io(dir);
    assert.equal(await main(['check', '--config', file], t.io), 1);
    assert.match(t.err(), /p\.yaml:4:\d+: routes\[0\]: route has no authentication policy/);
  });

  test('check reports YAML syntax errors and unset variables with positions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-check-'));
    const syntax = join(dir, 's.yaml');
    writeFileSync(syntax, 'listeners:\n  - protocol: http\n   port: 1\n');
    const t = io(dir);
    assert.equal(await main(['check', '--config', syntax], t.io), 1);
    assert.match(t.err(), /s\.yaml:\d+:\d+: /);
    const vars = join(dir, 'v.yaml');
    writeFileSync(vars, 'listeners:\n  - protocol: http\n    port: ${env:PC_TEST_UNSET_PORT}\n');
    const v = io(dir, {});
    assert.equal(await main(['check', '--config', vars], v.io), 1);
    assert.match(v.err(), /v\.yaml:3:11: listeners\[0\]\.port: environment variable PC_TEST_UNSET_PORT is not set/);
    const missing = io(dir);
    assert.equal(await main(['check', '--config', join(dir, 'nope.yaml')], missing.io), 1);
    assert.match(missing.err(), /nope\.yaml:0:0: .*cannot read the file \(ENOENT\)/);
  });
});
