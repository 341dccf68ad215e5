import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigErrors, formatIssue } from '../../src/config/errors.js';
import { proxyYaml, startTestGateway } from '../helpers/gateway.js';

test('revocation.bus: store on a configuration that opens no store is refused with the key path', async () => {
  const yaml = proxyYaml('http://127.0.0.1:9').concat('authentication:\n  revocation: { bus: store }\n');
  await assert.rejects(startTestGateway(yaml), (error: unknown) => {
    assert.ok(error instanceof ConfigErrors, String(error));
    assert.match(
      error.errors.map(formatIssue).join('\n'),
      /authentication\.revocation\.bus: the store bus needs the store/,
    );
    return true;
  });
});
