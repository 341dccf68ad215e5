import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InterpolationError, interpolate } from './interpolate.js';

const dir = mkdtempSync(join(tmpdir(), 'pc-interp-'));
writeFileSync(join(dir, 'secret.txt'), 's3cret\n');
const ctx = { env: { PORT: '8080', EMPTY: '' }, baseDir: dir };

describe('interpolate', () => {
  test('replaces env references, with defaults for unset or empty variables', () => {
    assert.equal(interpolate('port ${env:PORT}', ctx), 'port 8080');
    assert.equal(interpolate('${env:MISSING:-memory}', ctx), 'memory');
    assert.equal(interpolate('${env:EMPTY:-x}', ctx), 'x');
  });
  test('reads files relative to the config directory, dropping one trailing newline', () => {
    assert.equal(interpolate('${file:secret.txt}', ctx), 's3cret');
  });
  test('escapes $${ as a literal', () => {
    assert.equal(interpolate('$${env:PORT}', ctx), '${env:PORT}');
  });
  test('fails clearly for missing variables and files', () => {
    assert.throws(() => interpolate('${env:MISSING}', ctx), /MISSING is not set/);
    assert.throws(() => interpolate('${file:nope.txt}', ctx), InterpolationError);
    assert.throws(() => interpolate('${env:bad-name}', ctx), /not a valid/);
  });
  test('leaves plain strings untouched', () => {
    assert.equal(interpolate('no references', ctx), 'no references');
  });
});
