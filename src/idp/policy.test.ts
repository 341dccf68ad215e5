import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkPassword } from './policy.js';

describe('password policy (NIST SP 800-63B §3.1.1.2)', () => {
  test('length bounds count code points, 12..128 by default', () => {
    assert.equal(checkPassword('k7#vQ2!pLm9', 'ann').problem, 'too_short'); // 11
    assert.equal(checkPassword('k7#vQ2!pLm9x', 'ann').ok, true); // 12
    const long = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(4);
    assert.equal(checkPassword(long.slice(0, 128), 'ann').problem, undefined);
    assert.equal(checkPassword(long.slice(0, 129), 'ann').problem, 'too_long');
    // Twelve emoji are twelve characters, though 24 UTF-16 units.
    assert.equal(checkPassword('🦊🐙🦉🐢🦋🐝🦀🐬🦔🐌🦎🐞', 'ann').ok, true);
    assert.equal(checkPassword('🦊🐙🦉🐢🦋🐝🦀🐬🦔🐌🦎', 'ann').problem, 'too_short');
  });

  test('configurable bounds', () => {
    assert.equal(checkPassword('quiet lamp', 'ann', { minLength: 8 }).ok, true);
    assert.equal(checkPassword('quiet lamp rivers', 'ann', { maxLength: 64, minLength: 18 }).problem, 'too_short');
  });

  test('no composition rules: a long lower-case passphrase passes', () => {
    assert.equal(checkPassword('orange staple gravity', 'ann').ok, true);
  });

  test('common and breached passwords are refused, also with a numeric suffix or other case', () => {
    for (const p of ['password1234', 'qwertyuiop123', 'Iloveyou1234', 'Password123456', '123456789012']) {
      const result = checkPassword(p, 'ann');
      assert.equal(result.ok, false, p);
    }
  });

  test('a password containing the username (any case, NFKC) is refused', () => {
    assert.equal(checkPassword('my name is Alice!!', 'alice').problem, 'contains_username');
    assert.equal(checkPassword('xxＡＬＩＣＥxxyyzz', 'alice').problem, 'contains_username');
    // Two-letter usernames would refuse too much; they are not checked.
    assert.equal(checkPassword('bo is my friend here', 'bo').ok, true);
  });

  test('repetitive strings are refused', () => {
    assert.equal(checkPassword('abababababababab', 'ann').problem, 'repetitive');
  });

  test('never throws, always answers', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 70 }), (p, u) => {
        const r = checkPassword(p, u);
        assert.equal(typeof r.ok, 'boolean');
        if (!r.ok) assert.ok(r.message && r.problem);
      }),
    );
  });
});
