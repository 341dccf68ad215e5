import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadMasterKey, MasterKey, makeCheckValue, verifyCheckValue } from './crypto.js';
import { isStoreError } from './errors.js';

const ctx = { table: 'signing_keys', column: 'private_key', rowId: 'kid-1' };

describe('envelope encryption', () => {
  test('round-trips any bytes and never stores the plaintext', () => {
    const key = MasterKey.generate();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.string(), (bytes, rowId) => {
        const c = { ...ctx, rowId };
        const sealed = key.seal(Buffer.from(bytes), c);
        assert.deepEqual(key.open(sealed, c), Buffer.from(bytes));
        if (bytes.length >= 8) assert.ok(!Buffer.from(sealed, 'base64').includes(Buffer.from(bytes)));
      }),
      { numRuns: 200 },
    );
  });

  test('two seals of the same value differ (fresh data key and nonces)', () => {
    const key = MasterKey.generate();
    assert.notEqual(key.seal('secret', ctx), key.seal('secret', ctx));
  });

  test('a ciphertext moved to another row, column or table fails', () => {
    const key = MasterKey.generate();
    const sealed = key.seal('seed', ctx);
    for (const other of [
      { ...ctx, rowId: 'kid-2' },
      { ...ctx, column: 'public_jwk' },
      { ...ctx, table: 'secrets' },
    ]) {
      assert.throws(
        () => key.open(sealed, other),
        (e) => isStoreError(e, 'PC_STORE_DECRYPT'),
      );
    }
  });

  test('any flipped bit fails authentication', () => {
    const key = MasterKey.generate();
    const raw = Buffer.from(key.seal('a totp seed value', ctx), 'base64');
    // Skip the version byte and key id: those give their own (clearer) errors.
    for (let i = 9; i < raw.length; i++) {
      const copy = Buffer.from(raw);
      copy[i] = (copy[i] ?? 0) ^ 0x01;
      assert.throws(
        () => key.open(copy.toString('base64'), ctx),
        (e) => isStoreError(e, 'PC_STORE_DECRYPT'),
      );
    }
  });

  test('a wrong master key fails loudly with both key ids', () => {
    const right = MasterKey.generate();
    const wrong = MasterKey.generate();
    const check = makeCheckValue(right);
    verifyCheckValue(right, check);
    assert.throws(
      () => verifyCheckValue(wrong, check),
      (e) => isStoreError(e, 'PC_STORE_MASTER_KEY') && e.message.includes(right.id) && e.message.includes(wrong.id),
    );
  });

  test('rewrap moves a value to a new master key without changing its plaintext', () => {
    const oldKey = MasterKey.generate();
    const newKey = MasterKey.generate();
    const sealed = oldKey.seal('upstream password', ctx);
    const rewrapped = oldKey.rewrap(sealed, ctx, newKey);
    assert.equal(newKey.open(rewrapped, ctx).toString(), 'upstream password');
    assert.throws(
      () => oldKey.open(rewrapped, ctx),
      (e) => isStoreError(e, 'PC_STORE_MASTER_KEY'),
    );
    // Idempotent: a value already under the new key is left as is (safe to re-run rotation).
    assert.equal(oldKey.rewrap(rewrapped, ctx, newKey), rewrapped);
  });
});

describe('master key loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-mk-'));
  const base = { configDir: dir, dataDir: dir, env: {} as NodeJS.ProcessEnv };

  test('parses hex and base64, rejects short keys', () => {
    const key = MasterKey.generate();
    assert.equal(MasterKey.parse(key.encode(), 'test').id, key.id);
    assert.equal(MasterKey.parse(Buffer.from(key.encode(), 'base64url').toString('hex'), 'test').id, key.id);
    assert.throws(
      () => MasterKey.parse('abcd', 'test'),
      (e) => isStoreError(e, 'PC_STORE_MASTER_KEY'),
    );
  });

  test('default key file is created 0600 only when allowed', () => {
    assert.throws(() => loadMasterKey({ ...base, config: undefined }, false), /does not exist/);
    const created = loadMasterKey({ ...base, config: undefined }, true);
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
    assert.equal(loadMasterKey({ ...base, config: undefined }, false).id, created.id);
  });

  test('refuses a key file readable by others, and a missing env variable', () => {
    const file = join(dir, 'loose.key');
    writeFileSync(file, MasterKey.generate().encode(), { mode: 0o644 });
    assert.throws(() => loadMasterKey({ ...base, config: { file } }, false), /chmod 600/);
    assert.throws(() => loadMasterKey({ ...base, config: { env: 'PC_NOPE' } }, false), /PC_NOPE/);
    const key = MasterKey.generate();
    assert.equal(loadMasterKey({ ...base, env: { PC_MK: key.encode() }, config: { env: 'PC_MK' } }, false).id, key.id);
  });

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});
