import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { APP_PRIVILEGES, appGrantsSql, LATEST_VERSION, MIGRATIONS, quoteRole, splitStatements } from './migrations.js';

describe('migrations', () => {
  test('versions are 1..n with no gaps', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1),
    );
    assert.equal(LATEST_VERSION, MIGRATIONS.length);
  });

  test('every table the migrations create has app-role privileges, and the audit log only INSERT/SELECT', () => {
    const created = new Set<string>(['schema_migrations']);
    for (const m of MIGRATIONS) {
      for (const match of m.up('postgres').matchAll(/CREATE TABLE (\w+)/g)) created.add(match[1]!);
    }
    assert.deepEqual([...created].sort(), Object.keys(APP_PRIVILEGES).sort());
    assert.deepEqual(APP_PRIVILEGES.audit_log, ['SELECT', 'INSERT']);
  });

  test('splitStatements keeps trigger bodies and dollar-quoted functions whole', () => {
    const sqlite = splitStatements(MIGRATIONS[0]!.up('sqlite'));
    const triggers = sqlite.filter((s) => s.startsWith('CREATE TRIGGER'));
    assert.equal(triggers.length, 2);
    for (const t of triggers) assert.match(t, /BEGIN SELECT RAISE\(ABORT, 'audit_log is append-only'\); END$/);
    const pg = splitStatements(MIGRATIONS[0]!.up('postgres'));
    const fn = pg.find((s) => s.startsWith('CREATE FUNCTION'));
    assert.match(fn ?? '', /\$\$\nBEGIN RAISE EXCEPTION .*; END \$\$$/);
  });

  test('splitStatements: joining the parts gives back every statement (property)', () => {
    const statement = fc
      .stringMatching(/^[A-Za-z0-9 (),'_]{1,30}$/)
      .filter((s) => s.trim() !== '' && !/BEGIN|END/.test(s));
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 8 }), (parts) => {
        assert.deepEqual(
          splitStatements(parts.map((p) => `${p};`).join('\n')),
          parts.map((p) => p.trim()),
        );
      }),
    );
  });

  test('role names interpolated into DDL are strictly checked', () => {
    assert.equal(quoteRole('portcullis_app'), '"portcullis_app"');
    for (const bad of ['App', 'a"; DROP ROLE x; --', '1abc', '', 'a'.repeat(64), 'a b']) {
      assert.throws(() => quoteRole(bad), /must match/);
    }
    assert.throws(() => appGrantsSql('x"y'), /must match/);
  });
});
