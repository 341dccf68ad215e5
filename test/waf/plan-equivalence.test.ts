/**
 * The rule-set plan (src/waf/engine/plan.ts) must not change a single decision: CRS's regression
 * requests run through CRS as the gateway loads it (block mode, TX seeds from the stage), once
 * with the plan and once with every rule as written, at paranoia levels 1 to 4. Matches,
 * messages, scores and interruptions must be the same.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { prelude } from '../../src/stages/waf/index.js';
import { compileWaf, type Waf } from '../../src/waf/engine/waf.js';
import { parseRawRequest } from '../../src/waf/raw-request.js';
import { CRS_DIR, crsAvailable, defaultRegistries, loadTests, requestBuilder } from './crs-harness.js';

const available = crsAvailable();
const reason = 'CRS or ftw.mjs not found beside the repository (../shared)';
if (!available && process.env.CI === 'true') throw new Error(`${reason}; CI must have them`);

async function loadCrs(specialize: boolean): Promise<Waf> {
  return compileWaf({
    ...(await defaultRegistries()),
    files: [join(CRS_DIR, 'crs-setup.conf.example')],
    text: `${prelude({})}\nInclude ${join(CRS_DIR, 'rules', '*.conf')}\n`,
    textName: 'crs.conf',
    baseDir: CRS_DIR,
    specialize,
  });
}

type Raw = ReturnType<typeof parseRawRequest>;

/** One request through every phase, as the WAF stage feeds it; what the engine decided. */
function decide(waf: Waf, raw: Raw, seeds: Record<string, number>): string {
  const tx = waf.newTransaction({ clientIp: '192.0.2.7', clientPort: 40000, serverPort: 80, tx: seeds });
  tx.processUri(raw.method, raw.uri, raw.protocol);
  for (const [k, v] of raw.headers) tx.addRequestHeader(k, v);
  const respond = () => {
    tx.addResponseHeader('Content-Type', 'text/html');
    const stop = tx.processResponseHeaders(200);
    if (stop) return stop;
    tx.appendResponseBody('<html><body>ok</body></html>');
    return tx.processResponseBody();
  };
  const stop =
    tx.processRequestHeaders() ??
    (raw.body.length > 0 ? tx.appendRequestBody(raw.body) : undefined) ??
    tx.processRequestBody() ??
    respond();
  tx.processLogging();
  return JSON.stringify({
    stop,
    scores: tx.scores,
    matched: tx.matchedRules.map((m) => [m.ruleId, m.phase, m.msg, m.data]),
  });
}

describe('rule-set plan against CRS', { skip: available ? false : reason }, () => {
  test('every sampled CRS request gets the same decision with and without the plan, PL1-4', async () => {
    const [planned, full, build] = await Promise.all([loadCrs(true), loadCrs(false), requestBuilder()]);
    const requests: Raw[] = [];
    for (const [i, t] of loadTests().entries()) {
      if (i % 3 !== 0) continue;
      for (const stage of t.stages) {
        try {
          requests.push(parseRawRequest(build(stage.input)));
        } catch {
          // not a parseable request: the gateway's HTTP parser answers it, not the engine
        }
      }
    }
    assert.ok(requests.length > 1000, `only ${requests.length} requests sampled`);
    const differences: string[] = [];
    let blocked = 0;
    for (const pl of [1, 2, 3, 4]) {
      const seeds = {
        blocking_paranoia_level: pl,
        detection_paranoia_level: pl,
        inbound_anomaly_score_threshold: 5,
        outbound_anomaly_score_threshold: 4,
      };
      for (const raw of requests) {
        const a = decide(planned, raw, seeds);
        const b = decide(full, raw, seeds);
        if (a !== b) differences.push(`PL${pl} ${raw.method} ${raw.uri.slice(0, 80)}:\n  plan ${a}\n  full ${b}`);
        if (a.includes('"stop":{')) blocked++;
      }
    }
    assert.deepEqual(differences.slice(0, 5), []);
    // The sample must exercise blocking, not only requests that pass.
    assert.ok(blocked > requests.length, `only ${blocked} blocked decisions over four levels`);
  });
});
