import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { normalizeTarget } from './normalize.js';

function path(target: string): string {
  const r = normalizeTarget(target);
  assert.ok(r.ok, `expected ${target} to be accepted`);
  return r.path;
}
function refused(target: string): void {
  assert.equal(normalizeTarget(target).ok, false, `expected ${target} to be refused`);
}

describe('normalizeTarget', () => {
  test('keeps normal paths and splits the query', () => {
    assert.deepEqual(normalizeTarget('/api/items?id=42'), { ok: true, path: '/api/items', query: 'id=42' });
    assert.equal(path('/'), '/');
    assert.equal(path('/a/b/'), '/a/b/');
  });
  test('removes dot segments, also when encoded', () => {
    assert.equal(path('/a/../b'), '/b');
    assert.equal(path('/a/./b'), '/a/b');
    assert.equal(path('/a/%2e%2e/admin'), '/admin');
    assert.equal(path('/a/%2E/b'), '/a/b');
    assert.equal(path('/a/b/..'), '/a/');
  });
  test('collapses empty segments', () => {
    assert.equal(path('//admin//x'), '/admin/x');
  });
  test('decodes unreserved escapes and keeps the rest upper-cased', () => {
    assert.equal(path('/%61dmin'), '/admin');
    assert.equal(path('/caf%c3%a9'), '/caf%C3%A9');
    assert.equal(path('/a%20b'), '/a%20b');
  });
  test('refuses bypass shapes', () => {
    refused('/a/..%2fadmin');
    refused('/a%5cadmin');
    refused('/admin;jsessionid=1');
    refused('/admin%3bx');
    refused('/../etc/passwd');
    refused('/%2e%2e/x');
    refused('/a%00b');
    refused('/a%252e%252e/x');
    refused('/a\\b');
    refused('/a%zz');
    refused('/a#frag');
    refused('*');
  });
  test('accepts absolute-form targets (RFC 9112 §3.2.2)', () => {
    assert.deepEqual(normalizeTarget('http://example.com/x/../y?q=1'), { ok: true, path: '/y', query: 'q=1' });
    assert.deepEqual(normalizeTarget('http://example.com'), { ok: true, path: '/', query: '' });
  });
  test('property: a normalised path is a fixed point and never holds a dot segment or //', () => {
    const segment = fc.constantFrom('a', 'b', '.', '..', '', '%2e', '%2E%2e', '%41', 'x%20y', '~');
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), (segs) => {
        const r = normalizeTarget(`/${segs.join('/')}`);
        if (!r.ok) return;
        assert.ok(!/(^|\/)\.\.?(\/|$)/.test(r.path), r.path);
        assert.ok(!r.path.includes('//'), r.path);
        const again = normalizeTarget(r.path);
        assert.ok(again.ok);
        assert.equal(again.path, r.path);
      }),
    );
  });
  test('property: never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (s) => {
        normalizeTarget(s);
        normalizeTarget(`/${s}`);
      }),
    );
  });
});
