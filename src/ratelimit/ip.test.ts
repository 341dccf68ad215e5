import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CidrSet, ipKey, ipKeySlow, parseCidr, parseIp } from './ip.js';

describe('client address keys', () => {
  test('IPv4 addresses are their own key; IPv4-mapped IPv6 is the same client', () => {
    assert.equal(ipKey('192.0.2.7'), '192.0.2.7');
    assert.equal(ipKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(ipKey('::FFFF:192.0.2.7'), '192.0.2.7');
  });

  test('IPv6 addresses are grouped by /64 by default, in canonical form', () => {
    assert.equal(ipKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(ipKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
    assert.equal(ipKey('2001:db8:1:3::1'), '2001:db8:1:3::/64');
    assert.equal(ipKey('fe80::1%eth0'), 'fe80::/64');
  });

  test('the prefix lengths are configurable', () => {
    assert.equal(ipKey('2001:db8:1:2::9', { ipv4Prefix: 32, ipv6Prefix: 128 }), '2001:db8:1:2::9');
    assert.equal(ipKey('2001:db8:1:2::9', { ipv4Prefix: 32, ipv6Prefix: 48 }), '2001:db8:1::/48');
    assert.equal(ipKey('198.51.100.77', { ipv4Prefix: 24, ipv6Prefix: 64 }), '198.51.100.0/24');
  });

  test('text that is not an address has no key', () => {
    for (const bad of ['', 'localhost', '1.2.3', '1.2.3.4.5', '::g', '300.1.1.1']) assert.equal(ipKey(bad), undefined);
  });

  test('property: every address of one /64 has the same key, and it differs from the next /64', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(
        fc.array(group, { minLength: 8, maxLength: 8 }),
        fc.array(group, { minLength: 4, maxLength: 4 }),
        (g, low) => {
          const a = g.map((x) => x.toString(16)).join(':');
          const b = [...g.slice(0, 4), ...low].map((x) => x.toString(16)).join(':');
          const c = [...g.slice(0, 3), (g[3]! + 1) % 0x10000, ...low].map((x) => x.toString(16)).join(':');
          return ipKey(a) === ipKey(b) && ipKey(a) !== ipKey(c) && parseIp(a)?.family === 6;
        },
      ),
    );
  });
});

describe('the IPv4 fast path of ipKey', () => {
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.constantFrom('00', '01', '256', '999', '', 'a'),
  );
  const text = fc.oneof(
    fc.array(octet, { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.')),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '.', ':', 'f', 'F', '%', ' '), maxLength: 20 }),
  );
  const prefix = fc.oneof(fc.constantFrom(0, 1, 8, 24, 31, 32, 33), fc.integer({ min: 0, max: 32 }));

  test('property: gives the general parser answer for any text and prefix, plain or IPv4-mapped', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('', '::ffff:', '::FFFF:', '::'), prefix, (address, mapped, ipv4Prefix) => {
        const options = { ipv4Prefix, ipv6Prefix: 64 };
        assert.equal(ipKey(mapped + address, options), ipKeySlow(mapped + address, options));
      }),
      { numRuns: 3000 },
    );
  });

  test('masks to the prefix', () => {
    assert.equal(ipKey('255.254.253.252', { ipv4Prefix: 0, ipv6Prefix: 64 }), '0.0.0.0/0');
    assert.equal(ipKey('255.254.253.252', { ipv4Prefix: 1, ipv6Prefix: 64 }), '128.0.0.0/1');
    assert.equal(ipKey('::ffff:255.254.253.252', { ipv4Prefix: 20, ipv6Prefix: 64 }), '255.254.240.0/20');
  });
});

describe('CIDR sets', () => {
  test('match IPv4 and IPv6 networks, and IPv4-mapped clients against IPv4 entries', () => {
    const set = new CidrSet();
    assert.ok(set.add('10.0.0.0/8'));
    assert.ok(set.add('2001:db8::/32'));
    assert.ok(set.add('203.0.113.9'));
    assert.ok(set.has('10.200.3.4'));
    assert.ok(set.has('::ffff:10.1.1.1'));
    assert.ok(set.has('2001:db8:ffff::1'));
    assert.ok(set.has('203.0.113.9'));
    assert.ok(!set.has('203.0.113.10'));
    assert.ok(!set.has('11.0.0.1'));
    assert.ok(!set.has('2001:db9::1'));
    assert.ok(!set.has('not-an-ip'));
  });

  test('refuse malformed entries', () => {
    const set = new CidrSet();
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0/8',
      '2001:db8::/129',
      'x',
      '10.0.0.0/',
      '10.0.0.0/-1',
      'fe80::1%eth0/64',
    ]) {
      assert.equal(set.add(bad), false, bad);
    }
    assert.equal(set.size, 0);
    assert.deepEqual(parseCidr(' 192.168.0.0/16 '), { address: '192.168.0.0', prefix: 16, family: 4 });
  });
});
