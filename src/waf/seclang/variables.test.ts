import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { keyRegexHits, parseVariables } from './variables.js';

const known = () => true;

describe('regex key selectors', () => {
  test('a plain word is compared without the regex, as a prefix or a substring', () => {
    const [anchored] = parseVariables('TX:/^header_name_920450_/', known);
    assert.equal(anchored!.keyLiteral, 'header_name_920450_');
    assert.equal(anchored!.keyAnchored, true);
    const [inside] = parseVariables('REQUEST_COOKIES:/__utm/', known);
    assert.equal(inside!.keyAnchored, false);
    const [pattern] = parseVariables('TX:/MULTIPART_HEADERS_CONTENT_TYPES_*/', known);
    assert.equal(pattern!.keyLiteral, undefined);
  });

  test('property: keyRegexHits answers as the regex does', () => {
    const word = fc.stringMatching(/^[A-Za-z0-9_-]{1,6}$/);
    const key = fc.stringMatching(/^[A-Za-z0-9_ -]{0,12}$/);
    fc.assert(
      fc.property(word, fc.boolean(), key, key, (w, anchored, before, after) => {
        const [sel] = parseVariables(`ARGS:/${anchored ? '^' : ''}${w}/`, known);
        for (const k of [
          before,
          `${before}${w}${after}`,
          `${w.toUpperCase()}${after}`,
          `${before}${w.toLowerCase()}`,
        ]) {
          assert.equal(keyRegexHits(sel!, k, k.toLowerCase()), sel!.keyRegex!.test(k), k);
        }
      }),
    );
  });
});
