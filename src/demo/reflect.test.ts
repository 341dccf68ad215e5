import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseReflectRequest } from './reflect.js';
import { sniffContentType } from './sniff.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('parseReflectRequest', () => {
  test('returns the requested status, headers and UTF-8 body', () => {
    const result = parseReflectRequest(
      json({ status: 503, headers: { 'Content-Type': 'text/html', 'X-Leak': 'yes' }, body: 'é<b>' }),
    );
    assert.ok(result.ok);
    assert.equal(result.response.status, 503);
    assert.deepEqual(result.response.headers, { 'Content-Type': 'text/html', 'X-Leak': 'yes' });
    assert.equal(result.response.body.toString('utf8'), 'é<b>');
  });

  test('uses encodedBody (base64) when body is empty, and defaults to 200 with no body', () => {
    const result = parseReflectRequest(json({ encodedBody: Buffer.from([0, 1, 2, 255]).toString('base64') }));
    assert.ok(result.ok);
    assert.deepEqual([...result.response.body], [0, 1, 2, 255]);
    assert.equal(result.response.headers['Content-Type'], 'application/octet-stream');
    const empty = parseReflectRequest(json({}));
    assert.ok(empty.ok);
    assert.equal(empty.response.status, 200);
    assert.equal(empty.response.body.length, 0);
    assert.deepEqual(empty.response.headers, {});
  });

  test('labels a body without Content-Type by sniffing it', () => {
    const html = parseReflectRequest(json({ body: '  <html><body>SQL error</body></html>' }));
    assert.ok(html.ok);
    assert.equal(html.response.headers['Content-Type'], 'text/html; charset=utf-8');
  });

  test('drops framing headers so the response stays well framed', () => {
    const result = parseReflectRequest(
      json({ headers: { 'Content-Length': '999', 'Transfer-Encoding': 'chunked', 'X-A': '1' }, body: 'x' }),
    );
    assert.ok(result.ok);
    assert.deepEqual(Object.keys(result.response.headers).sort(), ['Content-Type', 'X-A']);
  });

  test('refuses what it cannot send faithfully', () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /not JSON/],
      [[1, 2], /JSON object/],
      [{ status: 99 }, /200 to 599/],
      [{ status: 600 }, /200 to 599/],
      [{ status: 'abc' }, /200 to 599/],
      [{ status: 101 }, /200 to 599/],
      [{ headers: 'x' }, /headers must be an object/],
      [{ headers: { 'X-A': 'a\r\nSet-Cookie: x=1' } }, /cannot be sent/],
      [{ headers: { 'Bad Name': 'a' } }, /cannot be sent/],
      [{ headers: { 'X-A': '\u2028' } }, /cannot be sent/],
      [{ headers: { 'X-A': { nested: true } } }, /cannot be sent/],
    ];
    for (const [input, message] of cases) {
      const raw = typeof input === 'string' ? Buffer.from(input) : json(input);
      const result = parseReflectRequest(raw);
      assert.equal(result.ok, false, JSON.stringify(input));
      if (!result.ok) assert.match(result.error, message);
    }
  });

  test('property: never throws, and what it accepts has a final status and sendable headers', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
          fc
            .record(
              {
                status: fc.oneof(fc.integer({ min: -10, max: 1000 }), fc.string(), fc.constant(null)),
                headers: fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
                body: fc.string(),
                encodedBody: fc.base64String(),
              },
              { requiredKeys: [] },
            )
            .map(json),
        ),
        (raw) => {
          const result = parseReflectRequest(raw);
          if (!result.ok) return;
          const { status, headers } = result.response;
          assert.ok(Number.isInteger(status) && status >= 200 && status <= 599);
          for (const [name, value] of Object.entries(headers)) {
            assert.match(name, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
            assert.doesNotMatch(value, /[\r\n\0]/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('sniffContentType (WHATWG MIME Sniffing §7.1)', () => {
  test('recognises HTML tags only when followed by a space or >', () => {
    assert.equal(sniffContentType(Buffer.from('\n\t<!DOCTYPE html>')), 'text/html; charset=utf-8');
    assert.equal(sniffContentType(Buffer.from('<p>hi')), 'text/html; charset=utf-8');
    assert.equal(sniffContentType(Buffer.from('<!-- c -->')), 'text/html; charset=utf-8');
    assert.equal(sniffContentType(Buffer.from('<pre>')), 'text/plain; charset=utf-8');
    assert.equal(sniffContentType(Buffer.from('<?xml version="1.0"?><a/>')), 'text/xml; charset=utf-8');
    assert.equal(sniffContentType(Buffer.from('%PDF-1.7')), 'application/pdf');
    assert.equal(sniffContentType(Buffer.from('plain words\r\n')), 'text/plain; charset=utf-8');
    assert.equal(sniffContentType(Buffer.from([0x41, 0x0b])), 'application/octet-stream');
    assert.equal(sniffContentType(Buffer.from([0x1b, 0x5b, 0x41])), 'text/plain; charset=utf-8');
  });
});
