import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { json } from './json.js';
import { multipart } from './multipart.js';
import type { BodyProcessor, BodySink } from './types.js';
import { urlencoded } from './urlencoded.js';
import { xml } from './xml.js';

function sink() {
  const args: [string, string][] = [];
  const cols: [string, string, string][] = [];
  const scalars = new Map<string, string>();
  const s: BodySink = {
    addArgument: (k, v) => {
      args.push([k, v]);
      return args.length < 1000;
    },
    addToCollection: (c, k, v) => cols.push([c, k, v]),
    setScalar: (n, v) => scalars.set(n, v),
  };
  return { s, args, cols, scalars };
}
const run = (p: BodyProcessor, body: string, ct = '') => {
  const k = sink();
  const error = p(body, ct, k.s, { jsonDepth: 16 });
  return { ...k, error };
};

describe('body processors', () => {
  test('urlencoded decodes leniently', () => {
    assert.deepEqual(run(urlencoded, 'a=1+2&b=%41%zz&c').args, [
      ['a', '1 2'],
      ['b', 'A%zz'],
      ['c', ''],
    ]);
  });

  test('JSON leaves, array names and depth limit', () => {
    const r = run(json, '{"a":{"b":[1,"x"]},"n":null}');
    assert.deepEqual(r.args, [
      ['json.a.b', '2'],
      ['json.a.b.0', '1'],
      ['json.a.b.1', 'x'],
      ['json.n', ''],
    ]);
    assert.match(run(json, '{"a":').error!.message, /^JSON parsing error/);
    assert.match(run(json, `${'['.repeat(20)}1${']'.repeat(20)}`).error!.message, /deeper than 16/);
  });

  test('XML text and attribute values; malformed documents are errors', () => {
    const r = run(xml, '<?xml version="1.0"?><a x="1&amp;2"><b>hi &lt;there&gt;</b><![CDATA[raw]]></a>');
    assert.equal(r.error, undefined);
    assert.deepEqual(r.cols, [
      ['XML', '/*', 'hi <there>'],
      ['XML', '/*', 'raw'],
      ['XML', '//@*', '1&2'],
    ]);
    for (const bad of ['<a><b></a>', '<a>', 'text', '<a></a><b></b>', '<a x=1></a>']) {
      assert.match(run(xml, bad).error!.message, /^XML parsing error/, bad);
    }
    // DOCTYPE entities are never expanded (no XXE, no billion laughs).
    const xxe = run(xml, '<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>');
    assert.deepEqual(xxe.cols, [['XML', '/*', '&e;']]);
  });

  test('multipart fields, files, part headers and strictness flags', () => {
    const body =
      '--B\r\nContent-Disposition: form-data; name="f"\r\n\r\nv1\r\n--B\r\nContent-Disposition: form-data; name="up"; filename="a.php"\r\nContent-Type: text/plain\r\n\r\n<?php\r\n--B--\r\n';
    const r = run(multipart, body, 'multipart/form-data; boundary=B');
    assert.equal(r.error, undefined);
    assert.deepEqual(r.args, [['f', 'v1']]);
    assert.ok(r.cols.some(([c, k, v]) => c === 'FILES' && k === 'up' && v === 'a.php'));
    assert.ok(
      r.cols.some(([c, k, v]) => c === 'MULTIPART_PART_HEADERS' && k === 'up' && v === 'Content-Type: text/plain'),
    );
    assert.equal(r.scalars.get('MULTIPART_STRICT_ERROR'), '0');
    const lf = run(multipart, body.replaceAll('\r\n', '\n'), 'multipart/form-data; boundary=B');
    assert.equal(lf.scalars.get('MULTIPART_LF_LINE'), '1');
    assert.equal(lf.scalars.get('MULTIPART_STRICT_ERROR'), '1');
    const quoted = run(multipart, body, 'multipart/form-data; boundary="B"');
    assert.equal(quoted.scalars.get('MULTIPART_BOUNDARY_QUOTED'), '1');
    const noFinal = run(
      multipart,
      '--B\r\nContent-Disposition: form-data; name="f"\r\n\r\nv',
      'multipart/form-data; boundary=B',
    );
    assert.match(noFinal.error!.message, /Final boundary missing/);
    const badHeader = run(
      multipart,
      '--B\r\nContent- Disposition: form-data; name="f"\r\n\r\nv\r\n--B--\r\n',
      'multipart/form-data; boundary=B',
    );
    assert.equal(
      badHeader.error!.message,
      'Multipart parsing error: Multipart: Invalid part header (contains invalid character)',
    );
    assert.match(run(multipart, 'x', 'multipart/form-data').error!.message, /Boundary/);
  });

  test('no processor throws on arbitrary bytes', () => {
    const bytes = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 300 }).map((a) => String.fromCharCode(...a));
    const structured = fc
      .array(
        fc.constantFrom(
          '<',
          '>',
          '/',
          'a',
          '=',
          '"',
          '&',
          ';',
          '--B',
          '\r\n',
          '\n',
          ':',
          '{',
          '}',
          '[',
          ']',
          ',',
          '%',
          '+',
          'Content-Disposition: form-data; name="x"',
          '<!DOCTYPE',
          '<![CDATA[',
        ),
        { maxLength: 60 },
      )
      .map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(bytes, structured), (body) => {
        for (const p of [urlencoded, json, xml]) run(p, body);
        run(multipart, body, 'multipart/form-data; boundary=B');
      }),
      { numRuns: 500 },
    );
  });
});

describe('JSON arguments, by their recursive definition', () => {
  /** Each leaf by its path in document order; each non-empty array also by itself, valued with its length. */
  function expected(value: unknown, path: string, out: [string, string][]): void {
    const bytes = (s: string) => (/[^\u0000-\u00ff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s);
    if (Array.isArray(value)) {
      if (value.length > 0) out.push([path, String(value.length)]);
      for (let i = 0; i < value.length; i++) expected(value[i], `${path}.${i}`, out);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) expected(v, `${path}.${bytes(k)}`, out);
    } else out.push([path, value === null ? '' : typeof value === 'string' ? bytes(value) : String(value)]);
  }

  test('the walk adds exactly those, in that order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const body = JSON.stringify(value);
        const want: [string, string][] = [];
        expected(JSON.parse(body), 'json', want);
        const { args, error } = run(json, body);
        if (want.length >= 1000 || body.trim() === '') return;
        assert.equal(error, undefined);
        assert.deepEqual(args, want);
      }),
      { numRuns: 1000 },
    );
  });
});
