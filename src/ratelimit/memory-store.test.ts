import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from './memory-store.js';
import { limitSpec } from './spec.js';

describe('memory store', () => {
  test('decides each limit of a request on its own key', () => {
    let now = 1_000_000_000;
    const store = new MemoryStore({ maxKeys: 100, now: () => now });
    const perSecond = limitSpec('gcra', 2, 1000);
    const perHour = limitSpec('sliding-window', 3, 3_600_000);
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(
        store.decide([
          { key: 'a', spec: perSecond },
          { key: 'b', spec: perHour },
        ]),
      );
      now += 10;
    }
    assert.deepEqual(
      answers.map((pair) => pair.map((o) => o.allowed)),
      [
        [true, true],
        [true, true],
        [false, true],
        [false, false],
      ],
    );
  });

  test('never holds more than maxKeys, dropping the least recently written key', () => {
    const now = 5_000_000_000;
    const store = new MemoryStore({ maxKeys: 3, now: () => now });
    const spec = limitSpec('gcra', 1, 60_000);
    for (const key of ['k1', 'k2', 'k3', 'k4']) store.decide([{ key, spec }]);
    assert.equal(store.size, 3);
    // k1 was dropped: it starts a fresh bucket; k4 is still limited.
    assert.equal(store.decide([{ key: 'k1', spec }])[0]!.allowed, true);
    assert.equal(store.decide([{ key: 'k4', spec }])[0]!.allowed, false);
  });

  test('expired keys are swept as later decisions pass', () => {
    let now = 9_000_000_000;
    const store = new MemoryStore({ maxKeys: 1000, now: () => now });
    const spec = limitSpec('gcra', 10, 1000);
    for (let i = 0; i < 50; i++) store.decide([{ key: `old${i}`, spec }]);
    assert.equal(store.size, 50);
    now += 2_000_000;
    for (let i = 0; i < 30; i++) store.decide([{ key: 'fresh', spec }]);
    // Each decision sweeps up to two expired keys from the head: 25 decisions clear all 50.
    assert.equal(store.size, 1);
  });

  test('an expired entry counts as absent', () => {
    let now = 1_000_000;
    const store = new MemoryStore({ maxKeys: 10, now: () => now });
    const spec = limitSpec('gcra', 1, 1000);
    assert.equal(store.decide([{ key: 'x', spec }])[0]!.allowed, true);
    assert.equal(store.decide([{ key: 'x', spec }])[0]!.allowed, false);
    now += 1_000_000;
    assert.equal(store.decide([{ key: 'x', spec }])[0]!.allowed, true);
  });
});
