import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rejectedFromPacket } from './rejected.js';

const ids = { requestId: 'r', clientIp: '192.0.2.1', clientPort: 4000 };

function at(packet: string, marker: string) {
  const bytes = Buffer.from(packet, 'latin1');
  return rejectedFromPacket(bytes, packet.indexOf(marker), ids);
}

describe('rejectedFromPacket', () => {
  test('the request the error is in, after complete pipelined ones', () => {
    const packet =
      'GET /one HTTP/1.1\r\nHost: a\r\n\r\n' +
      'POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello' +
      'FOO /three HTTP/1.1\r\nHost: a\r\nX: \x00\r\n\r\n';
    const r = at(packet, '\x00');
    assert.equal(r?.method, 'FOO');
    assert.equal(r?.uri, '/three');
    assert.deepEqual(r?.headers, [
      ['Host', 'a'],
      ['X', '\x00'],
    ]);
    assert.equal(r?.methodToken, true);
    assert.equal(r?.clientPort, 4000);
  });

  test('body bytes that arrived are given; an error inside a body belongs to that request', () => {
    const packet = 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nq=1&\x01bad';
    const r = at(packet, '\x01');
    assert.equal(r?.uri, '/x');
    assert.equal(r?.body, 'q=1&\x01bad');
  });

  test('empty lines before the request line are skipped (RFC 9112 §2.2)', () => {
    assert.equal(at('\r\n\r\nTEST / HTTP/1.1\r\nHost: a\r\n\r\n', 'TEST')?.method, 'TEST');
  });

  test('a malformed method is no token; a packet without a request line is not inspected', () => {
    assert.equal(at('\tGET / HTTP/1.1\r\nHost: a\r\n\r\n', 'GET')?.methodToken, false);
    assert.equal(at('G@T / HTTP/1.1\r\n\r\n', '@')?.methodToken, false);
    // `|` is a tchar (RFC 9110 §5.6.2): `|GET` is an unknown method, not a malformed one.
    assert.equal(at('|GET / HTTP/1.1\r\n\r\n', '|')?.methodToken, true);
    assert.equal(rejectedFromPacket(Buffer.from('\r\n\r\n'), 0, ids), undefined);
  });
});
