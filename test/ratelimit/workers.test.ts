import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigErrors, formatIssue } from '../../src/config/errors.js';
import { proxyYaml, startTestGateway } from '../helpers/gateway.js';

const LIMITED = proxyYaml('http://127.0.0.1:9').replace(
  '    public: true\n',
  '    public: true\n    rateLimit: { limit: 100, per: 1m, key: ip }\n',
);

test('several workers with the memory store and a route limit: refused at start, naming server.workers and the fix', async () => {
  const yaml = LIMITED.replace('admin:\n', 'server:\n  workers: 2\nadmin:\n');
  await assert.rejects(startTestGateway(yaml), (error: unknown) => {
    assert.ok(error instanceof ConfigErrors, String(error));
    const text = error.errors.map(formatIssue).join('\n');
    assert.match(text, /server\.workers/);
    assert.match(text, /rateLimit\.store to redis/);
    assert.match(text, /portcullis\.yaml:7:12: server\.workers: /, 'file, line and column of the key');
    return true;
  });
});

test('one worker with the memory store, or several workers and no route limit: starts', async () => {
  const one = await startTestGateway(LIMITED);
  await one.close();
  const unlimited = await startTestGateway(
    proxyYaml('http://127.0.0.1:9').replace('admin:\n', 'server:\n  workers: 2\nadmin:\n').concat('rateLimit: {}\n'),
  );
  await unlimited.close();
});
