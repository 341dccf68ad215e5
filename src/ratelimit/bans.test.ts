import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BanPolicy, InvalidAddressError, MemoryBanManager } from './bans.js';
import { DEFAULT_AGGREGATION } from './ip.js';

const policy: BanPolicy = {
  enabled: true,
  durationMs: 60_000,
  strikes: { waf: { strikes: 3, windowMs: 10_000 }, auth: { strikes: 2, windowMs: 10_000 } },
  aggregation: DEFAULT_AGGREGATION,
  maxEntries: 100,
};

describe('memory ban manager', () => {
  test('bans after N strikes inside the window, for the configured time', async () => {
    let now = 1_000_000;
    const bans = new MemoryBanManager(policy, () => now);
    assert.equal(await bans.recordStrike('waf', '198.51.100.1'), false);
    assert.equal(await bans.recordStrike('waf', '198.51.100.1'), false);
    assert.equal(bans.isBanned('198.51.100.1'), undefined);
    assert.equal(await bans.recordStrike('waf', '198.51.100.1'), true);
    assert.equal(bans.isBanned('198.51.100.1')?.reason, 'waf strikes');
    assert.equal(bans.isBanned('198.51.100.2'), undefined);
    now += 60_001;
    assert.equal(bans.isBanned('198.51.100.1'), undefined);
  });

  test('strikes older than the window do not count; kinds count separately', async () => {
    let now = 0;
    const bans = new MemoryBanManager(policy, () => now);
    await bans.recordStrike('auth', '203.0.113.5');
    now += 10_001;
    assert.equal(await bans.recordStrike('auth', '203.0.113.5'), false);
    assert.equal(await bans.recordStrike('waf', '203.0.113.5'), false);
    assert.equal(await bans.recordStrike('auth', '203.0.113.5'), true);
  });

  test('IPv6 bans cover the whole /64', async () => {
    const bans = new MemoryBanManager(policy);
    await bans.ban('2001:db8:5:6::1', 60_000, 'manual');
    assert.ok(bans.isBanned('2001:db8:5:6:ffff::2'));
    assert.equal(bans.isBanned('2001:db8:5:7::1'), undefined);
    assert.deepEqual(
      (await bans.list()).map((b) => b.ip),
      ['2001:db8:5:6::/64'],
    );
    assert.equal(await bans.lift('2001:db8:5:6::99'), true);
    assert.equal(bans.isBanned('2001:db8:5:6::1'), undefined);
  });

  test('no automatic bans when disabled; bad addresses are refused', async () => {
    const bans = new MemoryBanManager({ ...policy, enabled: false });
    for (let i = 0; i < 5; i++) assert.equal(await bans.recordStrike('waf', '192.0.2.1'), false);
    assert.equal(await bans.recordStrike('waf', 'nonsense'), false);
    await assert.rejects(bans.ban('nonsense', 1000, 'x'), InvalidAddressError);
    const entry = await bans.ban('192.0.2.1', 1000, 'line\r\nforged: yes\u001b[31m');
    assert.equal(entry.reason, 'line  forged: yes [31m');
  });
});
