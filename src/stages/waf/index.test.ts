import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import { makeContext } from '../../../test/openapi/context.js';
import { type LoadedPetstore, loadPetstore } from '../../../test/openapi/petstore.js';
import { ConfigError } from '../../config/errors.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { Stage } from '../../pipeline/stage.js';
import { compileWaf } from '../../waf/engine/waf.js';
import { OPERATORS } from '../../waf/operators/registry.js';
import { TRANSFORMATIONS } from '../../waf/transformations/registry.js';
import type { Services } from '../definition.js';
import { createWafStage, wafStage } from './index.js';
import type { WafGlobal, WafRoute } from './schema.js';

const RULES = `
SecRule ARGS "@rx attack" "id:1001,phase:2,pass,msg:'attack seen',setvar:'tx.blocking_inbound_anomaly_score=+5'"
SecRule REQUEST_HEADERS:User-Agent "@rx ^evilbot" "id:1002,phase:1,pass,msg:'bad bot',setvar:'tx.blocking_inbound_anomaly_score=+5'"
SecRule ARGS "@rx secret" "id:1003,phase:2,pass,msg:'secret seen',setvar:'tx.blocking_inbound_anomaly_score=+5'"
SecRule TX:blocking_inbound_anomaly_score "@ge %{tx.inbound_anomaly_score_threshold}" "id:1900,phase:2,deny,msg:'Inbound Anomaly Score Exceeded (Total Score: %{TX.BLOCKING_INBOUND_ANOMALY_SCORE})'"
SecRule RESPONSE_BODY "@rx ORA-\\d+" "id:1950,phase:4,deny,msg:'leak'"
`;

function services(dir: string): Services {
  return {
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    configDir: dir,
    dataDir: dir,
    config: {},
    shared: new Map(),
  };
}

function ctx(method: string, target: string, headers: Record<string, string> = {}, body?: string): RequestContext {
  const [path, query = ''] = target.split('?') as [string, string?];
  return {
    id: 'req-1',
    startedAt: 0,
    method,
    path,
    rawTarget: target,
    query,
    host: 'localhost',
    headers: { host: 'localhost', ...headers },
    clientIp: '192.0.2.7',
    peer: { address: '192.0.2.7', port: 40123, tls: false, protocol: 'http/1.1' },
    routeName: 'r',
    params: {},
    upstreamHeaders: {},
    upstreamPath: path,
    upstreamQuery: query,
    requestBody: body === undefined ? undefined : Buffer.from(body),
    responseBody: undefined,
    identity: undefined,
    decision: 'allowed',
    logFields: {},
    state: new Map(),
  };
}

async function stageFor(global: WafGlobal, route: WafRoute | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'waf-stage-'));
  writeFileSync(join(dir, 'rules.conf'), RULES);
  const shared = await wafStage.setup!({ rules: ['rules.conf'], ...global }, services(dir));
  const stage = wafStage.create(
    { name: 'r', public: true, settings: route, route: {}, path: ['routes', 0] },
    shared,
    services(dir),
  );
  return { stage, shared, dir };
}

async function run(stage: Stage, c: RequestContext) {
  const head = await stage.requestHead!(c);
  if (head.kind !== 'continue') return head;
  if (stage.wantsRequestBody!(c)) {
    const v = await stage.requestBody!(c);
    if (v.kind !== 'continue') return v;
  }
  return stage.responseHead!(c, { status: 200, headers: { 'content-type': 'text/plain' } });
}

describe('waf stage', () => {
  test('blocks at the anomaly threshold with a problem naming no rule', async () => {
    const { stage } = await stageFor({ anomalyThreshold: { inbound: 10 } }, undefined);
    assert.ok(stage);
    const one = await run(stage, ctx('GET', '/?q=attack'));
    assert.equal(one.kind, 'continue');
    const c = ctx('GET', '/?q=attack', { 'user-agent': 'evilbot/1' });
    const two = await run(stage, c);
    assert.equal(two.kind, 'respond');
    if (two.kind === 'respond') {
      assert.equal(two.decision, 'waf_blocked');
      assert.deepEqual(two.response, { kind: 'problem', code: 'PC_ERR_WAF_BLOCKED' });
      assert.equal(two.reason, 'waf rule 1900');
    }
  });

  test('inspects urlencoded request bodies', async () => {
    const { stage } = await stageFor({ anomalyThreshold: { inbound: 5 } }, undefined);
    const c = ctx(
      'POST',
      '/form',
      { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '9' },
      'q=attack',
    );
    const v = await run(stage!, c);
    assert.equal(v.kind, 'respond');
  });

  test('detect mode logs but lets the request through; off creates no stage', async () => {
    const { stage } = await stageFor({ mode: 'detect' }, undefined);
    assert.equal((await run(stage!, ctx('GET', '/?q=attack'))).kind, 'continue');
    const off = await stageFor({}, { mode: 'off' });
    assert.equal(off.stage, undefined);
  });

  test('route exclusions: removed rules and removed targets', async () => {
    const ruleOff = await stageFor({}, { removeRules: ['1001-1001'] });
    assert.equal((await run(ruleOff.stage!, ctx('GET', '/?q=attack'))).kind, 'continue');
    const targetOff = await stageFor({}, { removeTargets: [{ rule: '1001', targets: 'ARGS:q' }] });
    assert.equal((await run(targetOff.stage!, ctx('GET', '/?q=attack'))).kind, 'continue');
    assert.equal((await run(targetOff.stage!, ctx('GET', '/?p=attack'))).kind, 'respond');
  });

  test('response bodies are inspected when enabled', async () => {
    const { stage } = await stageFor({ responseBodyAccess: true }, undefined);
    const c = ctx('GET', '/');
    assert.equal((await run(stage!, c)).kind, 'continue');
    const head = { status: 200, headers: { 'content-type': 'text/html' } };
    assert.equal(stage!.wantsResponseBody!(c, head), true);
    c.responseBody = Buffer.from('<p>ORA-01756: quoted string</p>');
    const v = await stage!.responseBody!(c, head);
    assert.equal(v.kind, 'respond');
  });

  test('writes JSON audit lines with rule, data, client and request id, then a decision line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waf-audit-'));
    const { stage, shared } = await stageFor({ auditLog: { path: join(dir, 'audit.log') } }, undefined);
    const c = ctx('GET', '/?q=attack&s=secret');
    await run(stage!, c);
    stage!.log!(c, 403);
    await wafStage.dispose!(shared);
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const first = lines[0];
    assert.equal(first.ruleId, 1001);
    assert.equal(first.msg, 'attack seen');
    assert.equal(first.requestId, 'req-1');
    assert.equal(first.client_ip, '192.0.2.7');
    assert.equal(first.client_port, 40123);
    assert.deepEqual(first.variables, ['ARGS:q']);
    const last = lines[lines.length - 1];
    assert.equal(last.decision, 'blocked');
    assert.equal(last.inbound_score, 10);
    assert.deepEqual(c.logFields['waf'], { blockedBy: 1900, inbound: 10, outbound: 0, matched: [1001, 1003, 1900] });
  });

  test('bad rules and bad exclusions are ConfigErrors at their key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waf-bad-'));
    writeFileSync(join(dir, 'bad.conf'), 'SecRule ARGS "@rx (" "id:1"\n');
    await assert.rejects(wafStage.setup!({ rules: ['bad.conf'] }, services(dir)), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.path, ['waf']);
      assert.match(e.message, /bad\.conf:1:/);
      return true;
    });
    await assert.rejects(wafStage.setup!({ crs: { dir: 'nowhere' } }, services(dir)), ConfigError);
    const { shared } = await stageFor({}, undefined);
    assert.throws(
      () =>
        wafStage.create(
          {
            name: 'r',
            public: true,
            settings: { removeTargets: [{ rule: '1', targets: 'NOPE:x' }] },
            route: {},
            path: ['routes', 2],
          },
          shared,
          services(dir),
        ),
      (e: unknown) => e instanceof ConfigError && e.path.join('.') === 'routes.2.waf.removeTargets.0',
    );
  });

  test('with no CRS the baseline rules block SQL injection and traversal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waf-base-'));
    const shared = await wafStage.setup!({}, services(dir));
    const stage = wafStage.create(
      { name: 'r', public: true, settings: undefined, route: {}, path: ['routes', 0] },
      shared,
      services(dir),
    )!;
    assert.equal((await run(stage, ctx('GET', "/?id=1' OR '1'='1"))).kind, 'respond');
    assert.equal((await run(stage, ctx('GET', '/?f=../../etc/passwd'))).kind, 'respond');
    assert.equal((await run(stage, ctx('GET', '/?q=hello+world'))).kind, 'continue');
  });

  test('an engine fault fails closed in block mode and open in detect mode', async () => {
    const waf = compileWaf({
      text: 'SecRule ARGS "@boom" "id:1,phase:1,pass"',
      operators: new Map([
        [
          'boom',
          () => ({
            evaluate: () => {
              throw new Error('operator bug');
            },
          }),
        ],
      ]),
      transformations: TRANSFORMATIONS,
    });
    const base = {
      waf,
      paranoiaLevel: 1,
      detectionParanoiaLevel: 1,
      inbound: 5,
      outbound: 4,
      removeRuleIds: [],
      removeTargets: [],
    };
    const c = ctx('GET', '/?a=1');
    const blocked = await createWafStage({ ...base, mode: 'block' }).requestHead!(c);
    assert.equal(blocked.kind, 'respond');
    if (blocked.kind === 'respond') assert.deepEqual(blocked.response, { kind: 'problem', code: 'PC_ERR_INTERNAL' });
    assert.equal(c.logFields['wafError'], 'operator bug');
    assert.equal(
      (await createWafStage({ ...base, mode: 'detect' }).requestHead!(ctx('GET', '/?a=1'))).kind,
      'continue',
    );
  });
});

describe('waf stage: schema-aware hints from the validate stage', () => {
  let pets: LoadedPetstore;
  before(async () => {
    pets = await loadPetstore();
  });

  // Each rule denies on a digit the request below puts in one argument, pinned or free.
  const waf = compileWaf({
    text: [
      'SecRequestBodyAccess On',
      'SecRule REQUEST_HEADERS:Content-Type "@rx ^application/json" "id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"',
      'SecRule ARGS "@rx 3" "id:2,phase:2,deny,msg:\'digit 3\'"',
      'SecRule ARGS "@rx 31\\.5" "id:3,phase:2,deny,msg:\'weight\'"',
      'SecRule ARGS "@rx (?i)select" "id:4,phase:2,deny,msg:\'select\'"',
    ].join('\n'),
    operators: OPERATORS,
    transformations: TRANSFORMATIONS,
  });
  const wafStageFor = (schemaAware: boolean) =>
    createWafStage({
      waf,
      mode: 'block',
      paranoiaLevel: 1,
      detectionParanoiaLevel: 1,
      inbound: 5,
      outbound: 4,
      removeRuleIds: [],
      removeTargets: [],
      schemaAware,
    });

  async function through(operation: string, init: Parameters<typeof makeContext>[0], schemaAware = true) {
    const validate = pets.stages.get(operation);
    assert.ok(validate);
    const c = makeContext(init);
    let checked = await validate.requestHead!(c);
    if (checked.kind === 'continue' && validate.wantsRequestBody?.(c)) checked = await validate.requestBody!(c);
    assert.equal(checked.kind, 'continue', 'the request is valid');
    const verdict = await run(wafStageFor(schemaAware), c);
    return verdict.kind === 'respond' ? verdict.reason : 'continue';
  }

  test('a pinned integer query argument is not inspected; a free-text one still is', async () => {
    assert.equal(await through('listPets', { query: 'limit=3&q=x' }), 'continue');
    assert.equal(await through('listPets', { query: 'limit=3&q=x' }, false), 'waf rule 2');
    assert.equal(await through('listPets', { query: 'limit=4&q=x3' }), 'waf rule 2');
  });

  test('pinned JSON body members are skipped, free-text members are inspected', async () => {
    const pet = {
      name: 'Rex',
      species: 'dog',
      weightKg: 31.5,
      description: 'plain',
      tags: [{ id: 3, name: 'friendly' }],
      status: 'available',
    };
    const post = (body: unknown) => ({
      method: 'POST',
      path: '/pets',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    // weightKg (bounded number) and tags[0].id (integer) are pinned.
    assert.equal(await through('createPet', post(pet)), 'continue');
    assert.equal(await through('createPet', post(pet), false), 'waf rule 2');
    assert.equal(await through('createPet', post({ ...pet, description: 'SELECT 1' })), 'waf rule 4');
    assert.equal(await through('createPet', post({ ...pet, name: 'Rex 3' })), 'waf rule 2');
  });
});
