/**
 * A fast, representative slice of the CRS regression suite (every 12th test of tests.json, so
 * every rule group is covered) run straight through the engine in CRS's CI setup: paranoia 4,
 * DetectionOnly, JSON audit lines. The full suite over real sockets is scripts/conformance-crs.mjs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crsAvailable, defaultRegistries, loadCrsForCi, loadTests, runTest } from './crs-harness.js';

/** Engine-level gaps, each explained in docs/waf-conformance.md. */
const KNOWN_GAPS = new Map<string, string>([
  ['920620-1', 'two Content-Type headers: nginx keeps one, we keep both (the anchor fails it too)'],
]);

const available = crsAvailable();
const reason = 'CRS or ftw.mjs not found beside the repository (../shared)';
if (!available && process.env.CI === 'true') throw new Error(`${reason}; CI must have them`);

describe('CRS regression subset through the engine', { skip: available ? false : reason }, () => {
  test('every sampled test passes (PL4, DetectionOnly)', async () => {
    const { waf, lines } = loadCrsForCi(await defaultRegistries(), 4);
    const tests = loadTests().filter((_t, i) => i % 12 === 0);
    const failures: string[] = [];
    let passed = 0;
    for (const t of tests) {
      const id = `${t.rule_id}-${t.test_id}`;
      const outcome = await runTest(waf, lines, t);
      if (outcome.result === 'pass') passed++;
      else if (outcome.result === 'fail' && !KNOWN_GAPS.has(id)) failures.push(`${id}: ${outcome.reason}`);
    }
    assert.deepEqual(failures, []);
    assert.ok(passed > tests.length * 0.95, `only ${passed} of ${tests.length} ran and passed`);
  });

  test('the marker rule logs the X-CRS-Test value and removes every other rule', async () => {
    const { waf, lines } = loadCrsForCi(await defaultRegistries(), 4);
    const tx = waf.newTransaction({ clientIp: '127.0.0.1', clientPort: 5555 });
    tx.processUri('GET', "/status/200?q=' or 1=1--", 'HTTP/1.1');
    tx.addRequestHeader('Host', 'localhost');
    tx.addRequestHeader('X-CRS-Test', '942100-1-abc-s');
    tx.processRequestHeaders();
    tx.processRequestBody();
    tx.processLogging();
    const ids = lines.map((l) => JSON.parse(l) as { ruleId?: number; msg?: string; client_port?: number });
    assert.deepEqual(
      ids.filter((l) => l.ruleId !== undefined).map((l) => l.ruleId),
      [999999],
    );
    assert.equal(ids[0]!.msg, '942100-1-abc-s');
    assert.equal(ids[0]!.client_port, 5555);
  });
});
