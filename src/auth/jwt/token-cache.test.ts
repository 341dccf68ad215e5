import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Identity } from '../../pipeline/identity.js';
import { VerifiedTokenCache } from './token-cache.js';

const identity = (subject: string): Identity => ({ subject, method: 'jwt', roles: [], scopes: [], claims: {} });
const SIG = 'S'.repeat(43);

describe('VerifiedTokenCache', () => {
  test('serves an entry only for the exact token it was made from', () => {
    const cache = new VerifiedTokenCache(10);
    const token = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.${SIG}`;
    cache.set(token, identity('a'), 1000);
    assert.equal(cache.get(token)?.identity.subject, 'a');
    assert.equal(cache.get(Buffer.from(token).toString())?.identity.subject, 'a', 'equal text in another string');
    // Same last characters (the lookup key), other header or payload: a miss, never the entry.
    assert.equal(cache.get(`eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiIn0.${SIG}`), undefined);
    assert.equal(cache.get(`x${token}`), undefined);
    assert.equal(cache.get(SIG.slice(-24)), undefined);
    assert.equal(cache.get(''), undefined);
  });

  test('a verified token with the same ending replaces the entry; delete forgets only its own token', () => {
    const cache = new VerifiedTokenCache(10);
    const a = `h.pa.${SIG}`;
    const b = `h.pb.${SIG}`;
    cache.set(a, identity('a'), 1000);
    cache.delete(b);
    assert.equal(cache.get(a)?.identity.subject, 'a', 'deleting another token leaves the entry');
    cache.set(b, identity('b'), 1000);
    assert.equal(cache.get(a), undefined);
    assert.equal(cache.get(b)?.identity.subject, 'b');
    cache.delete(b);
    assert.equal(cache.get(b), undefined);
    assert.equal(cache.size, 0);
  });

  test('bounded: past max entries the oldest goes first; short tokens are keyed whole', () => {
    const cache = new VerifiedTokenCache(3);
    for (const t of ['t1', 't2', 't3', 't4']) cache.set(t, identity(t), 1000);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('t1'), undefined);
    assert.equal(cache.get('t4')?.identity.subject, 't4');
    cache.set('t4', identity('t4 again'), 2000);
    assert.equal(cache.size, 3, 'replacing an entry evicts nothing');
    assert.equal(cache.get('t2')?.identity.subject, 't2');
    assert.equal(cache.get('t4')?.untilMs, 2000);
  });
});
