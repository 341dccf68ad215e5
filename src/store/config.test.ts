import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { storeSchema, validateStoreConfig } from './config.js';

describe('store config', () => {
  test('schema accepts both drivers and rejects unknown keys and drivers', () => {
    assert.equal(Value.Check(storeSchema, { driver: 'sqlite' }), true);
    assert.equal(Value.Check(storeSchema, { driver: 'sqlite', path: 'x.db', masterKey: { env: 'K' } }), true);
    assert.equal(
      Value.Check(storeSchema, {
        driver: 'postgres',
        url: 'postgres://app@db/portcullis',
        passwordFile: 'p',
        owner: { user: 'own', passwordFile: 'o' },
        tls: { ca: 'ca.pem', serverName: 'db' },
        pool: { max: 5, statementTimeoutMs: 2000 },
        masterKey: { file: 'mk' },
      }),
      true,
    );
    assert.equal(Value.Check(storeSchema, { driver: 'mysql' }), false);
    assert.equal(Value.Check(storeSchema, { driver: 'sqlite', paht: 'typo' }), false);
    assert.equal(Value.Check(storeSchema, { driver: 'sqlite', masterKey: { env: 'A', file: 'b' } }), false);
    assert.equal(Value.Check(storeSchema, { driver: 'postgres', pool: { max: 0 } }), false);
  });

  test('semantic errors carry key paths', () => {
    assert.deepEqual(validateStoreConfig(undefined), []);
    assert.deepEqual(validateStoreConfig({ driver: 'sqlite' }), []);
    const paths = (c: Parameters<typeof validateStoreConfig>[0]) =>
      validateStoreConfig(c).map((e) => `${e.path.join('.')}: ${e.message}`);
    assert.deepEqual(paths({ driver: 'postgres', host: 'db.internal', database: 'p', tls: { insecure: true } }), [
      'store.tls.insecure: plain connections are only allowed to loopback, not "db.internal"',
    ]);
    assert.deepEqual(paths({ driver: 'postgres', host: '127.0.0.1', database: 'p', tls: { insecure: true } }), []);
    assert.deepEqual(paths({ driver: 'postgres', host: 'h', database: 'p', tls: { cert: 'c.pem' } }), [
      'store.tls: cert and key go together (client certificate authentication)',
    ]);
    assert.deepEqual(paths({ driver: 'postgres' }), [
      'store: the postgres driver needs host (or url)',
      'store: the postgres driver needs database (or url)',
    ]);
    assert.deepEqual(paths({ driver: 'postgres', url: 'mysql://x/y' }), ['store.url: must start with postgres://']);
    assert.deepEqual(paths({ driver: 'postgres', url: 'postgres://u@h' }), [
      'store.url: names no database (postgres://user@host:5432/DATABASE)',
    ]);
    assert.deepEqual(paths({ driver: 'postgres', url: 'postgres://u@h/d', user: 'same', owner: { user: 'same' } }), [
      'store.owner.user: must differ from store.user: the gateway must not connect as the DDL owner',
    ]);
    assert.deepEqual(paths({ driver: 'postgres', url: 'postgres://u@h/d', password: 'a', passwordFile: 'b' }), [
      'store.password: give password or passwordFile, not both',
    ]);
  });
});
