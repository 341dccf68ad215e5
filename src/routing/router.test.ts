import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Router } from './router.js';

function build() {
  const r = new Router<string>();
  r.add('/api/items', { value: 'items-get', methods: new Set(['GET']), hosts: undefined });
  r.add('/api/items', { value: 'items-post', methods: new Set(['POST']), hosts: undefined });
  r.add('/api/items/:id', { value: 'item', methods: undefined, hosts: undefined });
  r.add('/api/*', { value: 'api', methods: undefined, hosts: ['api.example.com'] });
  r.add('/*', { value: 'fallback', methods: new Set(['GET']), hosts: ['*.example.org'] });
  return r;
}

describe('Router', () => {
  test('exact, param and wildcard patterns', () => {
    const r = build();
    assert.deepEqual(r.match('GET', 'x', '/api/items'), { kind: 'found', value: 'items-get', params: {} });
    assert.deepEqual(r.match('POST', 'x', '/api/items'), { kind: 'found', value: 'items-post', params: {} });
    const item = r.match('DELETE', 'x', '/api/items/7');
    assert.ok(item.kind === 'found');
    assert.equal(item.value, 'item');
    // A prototype-free object: a parameter named __proto__ cannot reach Object.prototype.
    assert.deepEqual({ ...item.params }, { id: '7' });
    assert.equal((item.params as Record<string, unknown>).toString, undefined);
    const w = r.match('GET', 'api.example.com', '/api/other/x');
    assert.equal(w.kind, 'found');
  });
  test('405 with the allowed methods when the path matches but the method does not', () => {
    assert.deepEqual(build().match('PUT', 'x', '/api/items'), { kind: 'method-not-allowed', allow: ['GET', 'POST'] });
  });
  test('HEAD is served by a GET route', () => {
    assert.equal(build().match('HEAD', 'x', '/api/items').kind, 'found');
  });
  test('hosts, with wildcard subdomains', () => {
    const r = build();
    assert.equal(r.match('GET', 'other.com', '/api/other').kind, 'not-found');
    assert.equal(r.match('GET', 'a.example.org', '/anything').kind, 'found');
    assert.equal(r.match('GET', 'example.org', '/anything').kind, 'not-found');
  });
  test('a path whose escapes are not UTF-8 still matches, its escapes kept as text', () => {
    const r = build();
    const item = r.match('GET', 'x', '/api/items/caf%E9');
    assert.ok(item.kind === 'found');
    assert.deepEqual({ ...item.params }, { id: 'caf%E9' });
    assert.equal(r.match('GET', 'a.example.org', '/i%FFndex.html').kind, 'found');
    const utf8 = r.match('GET', 'x', '/api/items/%E2%91%A0');
    assert.ok(utf8.kind === 'found');
    assert.deepEqual({ ...utf8.params }, { id: '①' });
    assert.equal(r.match('GET', 'other.com', '/nothing%FF').kind, 'not-found');
  });
  test('no pattern: not found', () => {
    assert.equal(new Router<string>().match('GET', 'x', '/nothing').kind, 'not-found');
  });
});
