import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeContext, makeServices } from '../../../test/ratelimit/context.js';
import { ConfigError } from '../../config/errors.js';
import type { BanManager } from '../../ratelimit/bans.js';
import type { RouteSettings } from '../definition.js';
import { ipFilterStage } from './index.js';
import type { IpFilterGlobal, IpFilterRoute } from './schema.js';

function route(settings: IpFilterRoute | undefined): RouteSettings<IpFilterRoute> {
  return { name: 'r', public: true, settings, route: {}, path: ['routes', 2] };
}

async function stageFor(global: IpFilterGlobal | undefined, settings?: IpFilterRoute) {
  const services = makeServices({ ipFilter: global });
  const shared = await ipFilterStage.setup!(global, services);
  return { stage: ipFilterStage.create(route(settings), shared, services), services };
}

const verdictFor = async (stage: Awaited<ReturnType<typeof stageFor>>['stage'], ip: string) => {
  const verdict = await stage!.requestHead!(makeContext({ clientIp: ip }));
  if (verdict.kind === 'continue') return 'continue';
  assert.equal(verdict.response.kind, 'problem');
  assert.equal(verdict.response.kind === 'problem' && verdict.response.code, 'PC_ERR_IP_DENIED');
  assert.equal(verdict.decision, 'ip_denied');
  return 'denied';
};

describe('ip-filter stage', () => {
  test('global deny list, extended per route', async () => {
    const { stage } = await stageFor({ deny: ['203.0.113.0/24'] }, { deny: ['2001:db8::/32'] });
    assert.equal(await verdictFor(stage, '203.0.113.77'), 'denied');
    assert.equal(await verdictFor(stage, '::ffff:203.0.113.77'), 'denied');
    assert.equal(await verdictFor(stage, '2001:db8::5'), 'denied');
    assert.equal(await verdictFor(stage, '198.51.100.1'), 'continue');
  });

  test('an allow list admits only its networks; deny wins over allow', async () => {
    const { stage } = await stageFor({ allow: ['10.0.0.0/8'] }, { deny: ['10.9.9.9'] });
    assert.equal(await verdictFor(stage, '10.1.2.3'), 'continue');
    assert.equal(await verdictFor(stage, '10.9.9.9'), 'denied');
    assert.equal(await verdictFor(stage, '192.0.2.1'), 'denied');
  });

  test('a route allow list replaces the global one', async () => {
    const { stage } = await stageFor({ allow: ['10.0.0.0/8'] }, { allow: ['192.168.0.0/16'] });
    assert.equal(await verdictFor(stage, '192.168.1.1'), 'continue');
    assert.equal(await verdictFor(stage, '10.1.2.3'), 'denied');
  });

  test('banned clients are refused; a route can opt out of bans', async () => {
    const { stage, services } = await stageFor(undefined);
    const bans = services.shared.get('bans') as BanManager;
    await bans.ban('198.51.100.23', 60_000, 'manual');
    assert.equal(await verdictFor(stage, '198.51.100.23'), 'denied');
    assert.equal(await verdictFor(stage, '198.51.100.24'), 'continue');
    const shared = await ipFilterStage.setup!(undefined, services);
    assert.equal(ipFilterStage.create(route({ bans: false }), shared, services), undefined);
  });

  test('strikes recorded through services.shared lead to a ban', async () => {
    const { stage, services } = await stageFor(undefined);
    const bans = services.shared.get('bans') as BanManager;
    for (let i = 0; i < 19; i++) await bans.recordStrike('waf', '192.0.2.99');
    assert.equal(await verdictFor(stage, '192.0.2.99'), 'continue');
    assert.equal(await bans.recordStrike('waf', '192.0.2.99'), true);
    assert.equal(await verdictFor(stage, '192.0.2.99'), 'denied');
  });

  test('a malformed entry is a ConfigError at its key path', async () => {
    const services = makeServices();
    await assert.rejects(
      ipFilterStage.setup!({ deny: ['10.0.0.0/8', '10.0.0.300'] }, services),
      (error: unknown) => error instanceof ConfigError && JSON.stringify(error.path) === '["ipFilter","deny",1]',
    );
    const shared = await ipFilterStage.setup!(undefined, services);
    assert.throws(
      () => ipFilterStage.create(route({ allow: ['nope'] }), shared, services),
      (error: unknown) =>
        error instanceof ConfigError && JSON.stringify(error.path) === '["routes",2,"ipFilter","allow",0]',
    );
  });
});
