import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRawRequest } from './raw-request.js';

describe('parseRawRequest', () => {
  test('UTF-8 bytes in the target stay whole (0xA0 is no whitespace on the wire)', () => {
    const bytes = Buffer.from('GET /get?ssrf=acap://①②⑦ HTTP/1.1\r\nHost: a\xa0\r\n\r\n', 'utf8');
    const r = parseRawRequest(bytes);
    assert.equal(r.uri, Buffer.from('/get?ssrf=acap://①②⑦', 'utf8').toString('latin1'));
    assert.equal(r.protocol, 'HTTP/1.1');
    assert.deepEqual(r.headers, [['Host', Buffer.from('a\xa0', 'utf8').toString('latin1')]]);
  });

  test('a bare CR is read as a space (RFC 9112 §2.2); bare LF ends a line', () => {
    const r = parseRawRequest('GET / HTTP/1.1\nX-A: one\rInjected: two\n\n');
    assert.deepEqual(r.headers, [['X-A', 'one Injected: two']]);
  });

  test('a raw space in a versioned target; no version; a leading tab', () => {
    assert.equal(parseRawRequest('GET /a b HTTP/1.1\r\n\r\n').uri, '/a b');
    const simple = parseRawRequest('GET /\r\n\r\n');
    assert.equal(simple.protocol, '');
    assert.equal(parseRawRequest('\tGET /x HTTP/1.1\r\n\r\n').method, 'GET');
    assert.throws(() => parseRawRequest('\r\n\r\n'), /not an HTTP request line/);
  });

  test('the body is Content-Length bytes, de-chunked, or nothing (RFC 9112 §6.3)', () => {
    assert.equal(parseRawRequest('POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcdef').body, 'abc');
    assert.equal(
      parseRawRequest('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n').body,
      'abc',
    );
    assert.equal(parseRawRequest('POST / HTTP/1.1\r\n\r\n{"a":1}').body, '');
  });
});
