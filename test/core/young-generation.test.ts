import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import {
  avoidPretenuring,
  capYoungGeneration,
  DEFAULT_SEMI_SPACE_MB,
  scavengeOnMainThread,
  semiSpaceCap,
  semiSpaceExplicit,
} from '../../src/cli/young-generation.js';

describe('young generation cap (portcullis start --semi-space)', () => {
  test('defaults to the documented cap', () => {
    assert.equal(semiSpaceCap([], {}, []), DEFAULT_SEMI_SPACE_MB);
  });

  test('the flag wins over the environment, 0 turns the cap off', () => {
    assert.equal(semiSpaceCap(['--semi-space', '8'], { PORTCULLIS_SEMI_SPACE_MB: '2' }, []), 8);
    assert.equal(semiSpaceCap(['--semi-space=16'], {}, []), 16);
    assert.equal(semiSpaceCap([], { PORTCULLIS_SEMI_SPACE_MB: '2' }, []), 2);
    assert.equal(semiSpaceCap(['--semi-space', '0'], {}, []), undefined);
  });

  test('tells an operator-chosen cap from the default (a waf configuration lifts only the default)', () => {
    assert.equal(semiSpaceExplicit([], {}), false);
    assert.equal(semiSpaceExplicit(['--semi-space', '4'], {}), true);
    assert.equal(semiSpaceExplicit(['--semi-space=8'], {}), true);
    assert.equal(semiSpaceExplicit([], { PORTCULLIS_SEMI_SPACE_MB: '4' }), true);
    assert.equal(semiSpaceExplicit(['--config', 'x.yaml'], { PORTCULLIS_SEMI_SPACE_MB: '' }), false);
  });

  test("node's own semi-space options take precedence", () => {
    assert.equal(semiSpaceCap([], {}, ['--max-semi-space-size=8']), undefined);
    assert.equal(semiSpaceCap([], { NODE_OPTIONS: '--max_semi_space_size=2' }, []), undefined);
    assert.equal(semiSpaceCap(['--semi-space', '4'], { NODE_OPTIONS: '--semi-space-growth-factor=1' }, []), undefined);
  });

  test('gives up allocation-site pretenuring unless the operator chose (command line or NODE_OPTIONS)', () => {
    assert.equal(avoidPretenuring({}, ['--allocation-site-pretenuring']), false);
    assert.equal(avoidPretenuring({ NODE_OPTIONS: '--no_allocation_site_pretenuring' }, []), false);
    assert.equal(avoidPretenuring({ NODE_OPTIONS: '--max-old-space-size=512' }, []), true);
  });

  test('scavenges on the main thread only when one CPU is available and the operator did not choose', () => {
    assert.equal(scavengeOnMainThread(2, {}, []), false);
    assert.equal(scavengeOnMainThread(1, {}, ['--parallel-scavenge']), false);
    assert.equal(scavengeOnMainThread(1, { NODE_OPTIONS: '--single-threaded-gc' }, []), false);
    assert.equal(scavengeOnMainThread(1, { NODE_OPTIONS: '--no_parallel_scavenge' }, []), false);
    assert.equal(scavengeOnMainThread(1, { NODE_OPTIONS: '--max-old-space-size=512' }, ['--stack-size=2000']), true);
  });

  test('refuses sizes V8 does not use', () => {
    for (const bad of ['3', '32', '-1', '1.5', 'lots', ''])
      assert.throws(() => semiSpaceCap(['--semi-space', bad], {}, []), /must be 0 \(off\) or 1, 2, 4, 8 or 16 MiB/);
  });

  test('holds the young generation during start-up, then lets it grow to the cap and no further', async () => {
    const semiSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size / 2;
    const churn = (rounds: number) => {
      // Survivors (the kept window) are what makes V8 grow a semi-space.
      const keep: object[] = [];
      for (let i = 0; i < rounds; i++) {
        keep.push({ i, s: `v${i}`, a: [i, i] });
        if (keep.length > 20_000) keep.splice(0, 10_000);
      }
    };
    const cap = capYoungGeneration(1);
    try {
      const held = semiSpace();
      churn(1_000_000);
      assert.equal(semiSpace(), held, 'no growth before release()');
      cap.release();
      for (let i = 0; i < 20 && semiSpace() < 1024 * 1024; i++) {
        churn(300_000);
        // The GC observer runs between turns of the event loop.
        await new Promise((r) => setImmediate(r));
      }
      churn(2_000_000);
      await new Promise((r) => setImmediate(r));
      churn(2_000_000);
      assert.ok(semiSpace() <= 2 * 1024 * 1024, `semi-space ${semiSpace()} stays within one doubling of the cap`);
    } finally {
      cap.stop();
    }
  });
});
