import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ConfigErrors } from '../../src/config/errors.js';
import { parseConfig } from '../../src/config/load.js';
import type { InternalHandler } from '../../src/server/internal.js';
import { Runtime } from '../../src/server/runtime.js';
import type { ServiceDefinition } from '../../src/stages/definition.js';
import { proxyYaml, startUpstream } from '../helpers/gateway.js';

describe('in-process upstreams', () => {
  test('a route to internal:<name> without a service publishing it is a config error', async () => {
    const up = await startUpstream();
    try {
      const yaml = proxyYaml(up.url).replace('upstream: app', 'upstream: internal:nothing');
      const loaded = parseConfig(yaml, '/tmp/x.yaml');
      await assert.rejects(
        Runtime.build(loaded, { logger: pino({ level: 'silent' }), metrics: new Registry() }),
        (e: unknown) => e instanceof ConfigErrors && /no in-process handler "internal:nothing"/.test(e.message),
      );
    } finally {
      await up.close();
    }
  });

  test('a service can publish a handler that a route reaches after its stages', async () => {
    const handler: InternalHandler = (_req, res, ctx) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello from inside, ${ctx.clientIp}`);
    };
    const svc: ServiceDefinition = {
      name: 'greeter',
      global: { key: 'greeter', schema: Type.Object({}) },
      async setup(_g, services) {
        services.shared.set('internal:greeter', handler);
      },
    };
    const yaml = proxyYaml('http://127.0.0.1:1').replace('upstream: app', 'upstream: internal:greeter');
    const loaded = parseConfig(yaml, '/tmp/x.yaml');
    const runtime = await Runtime.build(
      loaded,
      { logger: pino({ level: 'silent' }), metrics: new Registry() },
      undefined,
      [svc],
    );
    const match = runtime.router.match('GET', 'x', '/anything');
    assert.equal(match.kind, 'found');
    if (match.kind === 'found') assert.equal(match.value.internal, handler);
    await runtime.dispose();
  });
});
