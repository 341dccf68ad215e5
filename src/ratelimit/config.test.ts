import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../config/errors.js';
import { resolveRateLimitConfig } from './config.js';
import { parseDuration, parseRate } from './duration.js';

describe('rateLimit configuration', () => {
  test('durations and rates', () => {
    assert.equal(parseDuration('1s'), 1000);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('day'), 86_400_000);
    assert.equal(parseDuration('250ms'), 250);
    for (const bad of ['0s', '', '1w', 's1', '-1s', '1.5s']) assert.equal(parseDuration(bad), undefined, bad);
    assert.deepEqual(parseRate('1000/day'), { limit: 1000, periodMs: 86_400_000 });
    assert.deepEqual(parseRate('10 / 1s'), { limit: 10, periodMs: 1000 });
    assert.equal(parseRate('0/day'), undefined);
    assert.equal(parseRate('ten/day'), undefined);
  });

  test('defaults: memory store, fail closed, IPv6 per /64, bans on', () => {
    const config = resolveRateLimitConfig(undefined);
    assert.equal(config.store, 'memory');
    assert.equal(config.onStoreFailure, 'closed');
    assert.equal(config.aggregation.ipv6Prefix, 64);
    assert.equal(config.bans.enabled, true);
    assert.equal(config.bans.durationMs, 15 * 60_000);
  });

  test('store auto: redis when a URL is set, memory when it is empty', () => {
    assert.equal(resolveRateLimitConfig({ store: 'auto', redis: { url: 'redis://127.0.0.1:6379' } }).store, 'redis');
    assert.equal(resolveRateLimitConfig({ store: 'auto', redis: { url: '' } }).store, 'memory');
    assert.equal(resolveRateLimitConfig({ store: 'auto' }).store, 'memory');
  });

  test('plans accept "N/unit" strings and objects', () => {
    const config = resolveRateLimitConfig({
      plans: { free: '1000/day', pro: { limit: 100_000, per: '1d', algorithm: 'sliding-window' } },
      defaultPlan: 'free',
    });
    assert.equal(config.plans.get('free')?.limit, 1000);
    assert.equal(config.plans.get('free')?.periodUs, 86_400_000_000);
    assert.equal(config.plans.get('pro')?.algorithm, 'sliding-window');
  });

  test('semantic errors carry their key path', () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ store: 'redis' }, ['rateLimit', 'redis', 'url']],
      [{ store: 'redis', redis: { url: ' ' } }, ['rateLimit', 'redis', 'url']],
      [{ plans: { free: '1000/day' }, defaultPlan: 'gold' }, ['rateLimit', 'defaultPlan']],
      [{ plans: { free: 'lots' } }, ['rateLimit', 'plans', 'free']],
      [{ bans: { waf: { strikes: 3, window: 'soon' } } }, ['rateLimit', 'bans', 'waf', 'window']],
    ];
    for (const [input, path] of cases) {
      assert.throws(
        () => resolveRateLimitConfig(input as never),
        (error: unknown) => error instanceof ConfigError && JSON.stringify(error.path) === JSON.stringify(path),
        JSON.stringify(input),
      );
    }
  });
});
