import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];

describe('fast metrics', () => {
  test('expose exactly what prom-client would for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fh = new FastHistogram(ours, 'lat_seconds', 'latency', ['route', 'decision'], BOUNDS);
    const fc = new FastCounter(ours, 'req_total', 'requests', ['route', 'status']);
    const ph = new Histogram({
      name: 'lat_seconds',
      help: 'latency',
      labelNames: ['route', 'decision'],
      buckets: BOUNDS,
      registers: [theirs],
    });
    const pc = new Counter({
      name: 'req_total',
      help: 'requests',
      labelNames: ['route', 'status'],
      registers: [theirs],
    });
    const samples: [string, string, number][] = [
      ['a', 'allowed', 0.0005],
      ['a', 'allowed', 0.001],
      ['a', 'allowed', 0.05],
      ['b', 'forbidden', 3],
      ['a', 'allowed', 0.5],
    ];
    for (const [route, decision, v] of samples) {
      fh.observe([route, decision], v);
      ph.labels(route, decision).observe(v);
      fc.inc([route, '200']);
      pc.labels(route, '200').inc();
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
  });
});
