import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MasterKey } from '../../src/store/crypto.js';
import { isStoreError } from '../../src/store/errors.js';
import { openStore, type SqlStore } from '../../src/store/store.js';
import { PG_CA, silentLogger } from './helpers.js';

/**
 * A real server restart, on a private throw-away cluster (own data directory and port), so the
 * shared PostgreSQL other suites use is never disturbed. Reuses the server certificate that
 * scripts/pg-tls-setup.sh installed, so the reconnect happens over verified TLS.
 */
const BIN = (() => {
  if (!existsSync('/usr/lib/postgresql')) return undefined;
  const version = readdirSync('/usr/lib/postgresql').sort().at(-1);
  return version ? `/usr/lib/postgresql/${version}/bin` : undefined;
})();
const TLS_DIR = (() => {
  if (!existsSync('/etc/postgresql')) return undefined;
  const version = readdirSync('/etc/postgresql').sort().at(-1);
  return version ? `/etc/postgresql/${version}/main/portcullis-tls` : undefined;
})();

function unavailable(): string | undefined {
  if (!BIN || !existsSync(join(BIN, 'initdb'))) return 'PostgreSQL server binaries (initdb, pg_ctl) not installed';
  if (!TLS_DIR || !existsSync(join(TLS_DIR, 'server.pem')))
    return 'no server certificate (run scripts/pg-tls-setup.sh)';
  if (!existsSync(PG_CA)) return `no test CA at ${PG_CA}`;
  if (process.getuid?.() !== 0) return 'needs root to run a private cluster as the postgres user';
  return undefined;
}

const reason = unavailable();
if (reason && process.env.CI === 'true') throw new Error(`CI=true requires the restart test: ${reason}`);

describe('PostgreSQL restart and certificate authentication (private cluster)', { skip: reason ?? false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-pgrestart-'));
  const data = join(dir, 'data');
  const port = 20000 + Math.floor(Math.random() * 10000);
  const asPostgres = (cmd: string, ...args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(BIN!, cmd), ...args], { stdio: 'pipe', timeout: 60_000 });
  let extra = '';
  const pgctl = (...args: string[]) =>
    asPostgres(
      'pg_ctl',
      '-D',
      data,
      '-w',
      '-l',
      join(dir, 'log'),
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=${TLS_DIR}/server.pem -c ssl_key_file=${TLS_DIR}/server.key -c fsync=off${extra}`,
      ...args,
    );
  let store: SqlStore | undefined;
  const key = MasterKey.generate();

  before(() => {
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
    asPostgres('initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8');
    pgctl('start');
  });

  after(async () => {
    await store?.close().catch(() => {});
    try {
      pgctl('stop', '-m', 'immediate');
    } catch {
      // already down
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('queries fail closed while the server is down and succeed again after it restarts', async () => {
    store = await openStore(
      {
        driver: 'postgres',
        host: '127.0.0.1',
        port,
        database: 'postgres',
        user: 'postgres',
        tls: { ca: PG_CA },
        masterKey: { env: 'MK' },
        pool: { max: 3, connectionTimeoutMs: 1000 },
      },
      { dataDir: dir, configDir: dir, logger: silentLogger, env: { MK: key.encode() }, migrations: 'auto' },
    );
    await store.users.create({ username: 'survivor' });
    await Promise.all([store.ping(), store.ping(), store.ping()]);

    pgctl('stop', '-m', 'fast');
    await assert.rejects(store.users.getByUsername('survivor'), (e) => isStoreError(e, 'PC_STORE_UNAVAILABLE'));

    pgctl('start');
    let recovered = false;
    for (let i = 0; i < 30 && !recovered; i++) {
      recovered = await store.ping().then(
        () => true,
        () => false,
      );
      if (!recovered) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(recovered, 'the pool reconnected');
    assert.ok(await store.users.getByUsername('survivor'));
    const ssl = await store.db.get('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    assert.equal(ssl?.ssl, true, 'the new connection is verified TLS too');
  });

  test('client-certificate authentication (hostssl ... cert): a certificate logs in, no certificate does not', async () => {
    await store?.close();
    store = undefined;
    // A client CA and a certificate for the "postgres" role, made for this test only.
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl(
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=client CA',
      '-keyout',
      join(dir, 'client-ca.key'),
      '-out',
      join(dir, 'client-ca.pem'),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    );
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=postgres',
      '-keyout',
      join(dir, 'client.key'),
      '-out',
      join(dir, 'client.csr'),
    );
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    openssl(
      'x509',
      '-req',
      '-in',
      join(dir, 'client.csr'),
      '-CA',
      join(dir, 'client-ca.pem'),
      '-CAkey',
      join(dir, 'client-ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      join(dir, 'client.ext'),
      '-out',
      join(dir, 'client.pem'),
    );
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 cert\n');
    chownSync(join(data, 'pg_hba.conf'), Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
    extra = ` -c ssl_ca_file=${join(dir, 'client-ca.pem')}`;
    pgctl('restart', '-m', 'fast');

    const base = {
      driver: 'postgres' as const,
      host: '127.0.0.1',
      port,
      database: 'postgres',
      user: 'postgres',
      masterKey: { env: 'MK' },
      pool: { max: 2, connectionTimeoutMs: 2000 },
    };
    const options = {
      dataDir: dir,
      configDir: dir,
      logger: silentLogger,
      env: { MK: key.encode() },
      migrations: 'check' as const,
    };
    await assert.rejects(openStore({ ...base, tls: { ca: PG_CA } }, options), /certificate|authentication/i);
    store = await openStore({ ...base, tls: { ca: PG_CA, cert: 'client.pem', key: 'client.key' } }, options);
    assert.ok(await store.users.getByUsername('survivor'));
    const row = await store.db.get('SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    assert.equal(row?.ssl, true);
    assert.match(String(row?.client_dn), /CN=postgres/);
  });
});
