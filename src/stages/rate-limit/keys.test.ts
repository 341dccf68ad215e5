import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeContext } from '../../../test/ratelimit/context.js';
import { DEFAULT_AGGREGATION, ipKey } from '../../ratelimit/ip.js';
import { compileKey, RECENT_IPV6_KEYS } from './keys.js';

test('ip key: remembered IPv6 keys are the keys ipKey gives, also after the map was emptied', () => {
  const keyOf = compileKey('ip', undefined, DEFAULT_AGGREGATION, ['routes', 0, 'rateLimit']);
  const addresses = Array.from(
    { length: RECENT_IPV6_KEYS + 10 },
    (_, i) => `2001:db8:${(i >> 8).toString(16)}:${(i & 0xff).toString(16)}::${i % 7}`,
  );
  for (let round = 0; round < 2; round++) {
    for (const address of [...addresses, '::ffff:192.0.2.1', '198.51.100.7', 'not an address']) {
      assert.equal(keyOf(makeContext({ clientIp: address })), ipKey(address) ?? address, address);
    }
  }
  // One subscriber's /64 is one bucket, whichever address of it is remembered.
  assert.equal(keyOf(makeContext({ clientIp: '2001:db8:0:1::9' })), '2001:db8:0:1::/64');
});
