import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { GatewayMetrics } from './metrics.js';

async function lines(registry: Registry, prefix: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line.startsWith(prefix));
}

describe('GatewayMetrics', () => {
  test('counts requests by route, status and decision, and durations by route and decision', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    metrics.request('a', 200, 'allowed', 0.002);
    metrics.request('a', 200, 'allowed', 0.004);
    metrics.request('a', 404, 'not_found', 0.001);
    metrics.request('b', 200, 'allowed', 0.3);
    metrics.upstream('app', 0.002);
    metrics.upstream('app', 0.003);
    assert.deepEqual(await lines(registry, 'portcullis_requests_total{'), [
      'portcullis_requests_total{route="a",status="200",decision="allowed"} 2',
      'portcullis_requests_total{route="a",status="404",decision="not_found"} 1',
      'portcullis_requests_total{route="b",status="200",decision="allowed"} 1',
    ]);
    assert.deepEqual(await lines(registry, 'portcullis_request_duration_seconds_count'), [
      'portcullis_request_duration_seconds_count{route="a",decision="allowed"} 2',
      'portcullis_request_duration_seconds_count{route="a",decision="not_found"} 1',
      'portcullis_request_duration_seconds_count{route="b",decision="allowed"} 1',
    ]);
    assert.deepEqual(await lines(registry, 'portcullis_upstream_duration_seconds_sum'), [
      'portcullis_upstream_duration_seconds_sum{upstream="app"} 0.005',
    ]);
  });

  test('after a registry reset, counting starts again from zero', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    metrics.request('a', 200, 'allowed', 0.002);
    metrics.upstream('app', 0.002);
    registry.resetMetrics();
    metrics.request('a', 200, 'allowed', 0.002);
    metrics.upstream('app', 0.001);
    assert.deepEqual(await lines(registry, 'portcullis_requests_total{'), [
      'portcullis_requests_total{route="a",status="200",decision="allowed"} 1',
    ]);
    assert.deepEqual(await lines(registry, 'portcullis_upstream_duration_seconds_count'), [
      'portcullis_upstream_duration_seconds_count{upstream="app"} 1',
    ]);
  });
});
