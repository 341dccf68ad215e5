import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bansCommand } from '../../src/cli/commands/bans.js';
import { REDIS_URL, redisSkipReason, testPrefix } from './context.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await bansCommand.run(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'pc-bans-'));
function configFile(rateLimit: string): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `listeners:\n  - protocol: http\n    host: 127.0.0.1\n    port: 8080\nupstreams:\n  app:\n    targets: ["http://127.0.0.1:9"]\nroutes:\n  - name: all\n    match: { path: "/*" }\n    upstream: app\n    public: true\n${rateLimit}`,
  );
  return file;
}

describe('portcullis bans (no Redis needed)', () => {
  test('usage mistakes are one plain sentence and exit 1', async () => {
    for (const [argv, message] of [
      [[], /needs a command/],
      [['ban', '1.2.3.4'], /unknown bans command "ban"/],
      [['add'], /needs an IP address/],
      [['add', '192.0.2.1'], /needs --for/],
      [['add', '192.0.2.1', '--for', 'a while'], /--for takes a duration/],
      [['lift', '192.0.2.1', 'extra'], /unexpected argument "extra"/],
    ] as const) {
      const { code, stderr } = await cli([...argv, '--redis', 'redis://127.0.0.1:1']);
      assert.equal(code, 1);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split('\n').length, 1);
    }
  });

  test('a memory-store configuration is refused with the reason', async () => {
    const { code, stderr } = await cli(['list', '--config', configFile('')]);
    assert.equal(code, 1);
    assert.match(stderr, /rateLimit\.store is not redis/);
  });

  test('an unreachable Redis is reported, not thrown', async () => {
    const { code, stderr } = await cli(['list', '--redis', 'redis://127.0.0.1:1']);
    assert.equal(code, 1);
    assert.match(stderr, /cannot reach Redis/);
  });
});

const skip = await redisSkipReason();

describe('portcullis bans against Redis', { skip }, () => {
  const prefix = testPrefix('cli');
  after(async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(REDIS_URL);
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });

  test('add, list, lift through --redis; IPv6 bans cover the /64', async () => {
    const target = ['--redis', REDIS_URL, '--prefix', prefix];
    const added = await cli(['add', '2001:db8:7:8::1', '--for', '1h', '--reason', 'abuse report', ...target]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^banned 2001:db8:7:8::\/64 until \d{4}-/);
    const listed = await cli(['list', '--json', ...target]);
    const entries = JSON.parse(listed.stdout) as { ip: string; reason: string; until: number }[];
    assert.deepEqual(
      entries.map((e) => [e.ip, e.reason]),
      [['2001:db8:7:8::/64', 'abuse report']],
    );
    assert.ok(Math.abs(entries[0]!.until - (Date.now() + 3_600_000)) < 60_000);
    const table = await cli(['list', ...target]);
    assert.match(table.stdout, /^CLIENT\s+UNTIL\s+LEFT\s+REASON\n2001:db8:7:8::\/64\s+\S+\s+\d+s\s+abuse report\n$/);
    assert.equal(
      (await cli(['lift', '2001:db8:7:8::abcd', ...target])).stdout,
      'lifted the ban on 2001:db8:7:8::abcd\n',
    );
    assert.equal((await cli(['lift', '2001:db8:7:8::abcd', ...target])).stdout, '2001:db8:7:8::abcd was not banned\n');
    assert.equal((await cli(['list', ...target])).stdout, 'no active bans\n');
    const bad = await cli(['add', 'not-an-ip', '--for', '1h', ...target]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, '"not-an-ip" is not an IP address\n');
  });

  test('reads Redis settings from the configuration', async () => {
    const file = configFile(
      `rateLimit:\n  store: redis\n  redis:\n    url: \${env:RL_URL}\n    keyPrefix: "${prefix}"\n`,
    );
    const added = await cli(['add', '192.0.2.150', '--for', '10m', '--config', file], { RL_URL: REDIS_URL });
    assert.equal(added.code, 0, added.stderr);
    const listed = await cli(['list', '--json', '--redis', REDIS_URL, '--prefix', prefix]);
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { ip: string }[]).map((e) => e.ip),
      ['192.0.2.150'],
    );
  });
});
