import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelayMs, DEFAULT_LOGIN_POLICY, LoginThrottle } from './login-throttle.js';

describe('login throttle', () => {
  test('back-off doubles after the free attempts and is capped', () => {
    assert.deepEqual(
      [0, 3, 4, 5, 6, 7, 30].map((n) => backoffDelayMs(n, 3, 1000, 5000)),
      [0, 0, 1000, 2000, 4000, 5000, 5000],
    );
  });

  test('per account: refused after the free failures until the delay passes; success clears', async () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle({ ...DEFAULT_LOGIN_POLICY, accountFreeAttempts: 2 }, { now: () => now });
    for (let i = 0; i < 3; i++) {
      assert.equal((await throttle.check('alice', '192.0.2.1')).allowed, true);
      await throttle.recordFailure('alice', '192.0.2.1');
    }
    // Another address and another spelling of the account do not escape the account counter.
    const refused = await throttle.check(' ALICE ', '198.51.100.9');
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterMs, 1000);
    now += 1000;
    assert.equal((await throttle.check('alice', '192.0.2.1')).allowed, true);
    await throttle.recordSuccess('alice', '192.0.2.1');
    assert.equal((await throttle.check('alice', '192.0.2.1')).allowed, true);
  });

  test('per address: spraying many accounts from one client is slowed down', async () => {
    const now = 5_000_000;
    const throttle = new LoginThrottle({ ...DEFAULT_LOGIN_POLICY, ipFreeAttempts: 3 }, { now: () => now });
    for (let i = 0; i < 4; i++) await throttle.recordFailure(`user${i}`, '203.0.113.4');
    const check = await throttle.check('fresh-user', '203.0.113.4');
    assert.equal(check.allowed, false);
    assert.equal((await throttle.check('fresh-user', '203.0.113.5')).allowed, true);
  });

  test('failures are forgotten after resetAfter', async () => {
    let now = 0;
    const throttle = new LoginThrottle(
      { ...DEFAULT_LOGIN_POLICY, accountFreeAttempts: 0, resetAfterMs: 10_000, maxDelayMs: 60_000 },
      { now: () => now },
    );
    for (let i = 0; i < 5; i++) await throttle.recordFailure('bob', '192.0.2.2');
    assert.equal((await throttle.check('bob', '192.0.2.3')).allowed, false);
    now += 10_000;
    assert.equal((await throttle.check('bob', '192.0.2.3')).allowed, true);
  });
});
