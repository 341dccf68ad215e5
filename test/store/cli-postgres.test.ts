import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { CliIO, Command } from '../../src/cli/command.js';
import { auditCommand } from '../../src/cli/commands/audit.js';
import { dbCommand } from '../../src/cli/commands/db.js';
import { keysCommand } from '../../src/cli/commands/keys.js';
import { adminQuery, dropTestDatabase, PG_CA, pgSkipReason, uniqueName } from './helpers.js';

const skip = await pgSkipReason();

describe('portcullis db init / migrate / status, audit verify on PostgreSQL', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-cli-pg-'));
  const database = uniqueName('pc_cli');
  const app = uniqueName('pc_app');
  const owner = uniqueName('pc_owner');
  const target = [
    '--url',
    `postgres://${app}@127.0.0.1:5432/${database}`,
    '--ca',
    PG_CA,
    '--password-file',
    'secrets/app.pw',
    '--owner-user',
    owner,
    '--owner-password-file',
    'secrets/owner.pw',
    '--master-key-file',
    'master.key',
  ];

  after(async () => {
    await dropTestDatabase(database).catch(() => {});
    for (const role of [app, owner]) await adminQuery('postgres', `DROP ROLE IF EXISTS ${role}`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(command: Command, ...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {}, cwd: dir };
    return { code: await command.run(argv, io), stdout, stderr };
  }

  test('init creates roles, database and 0600 password files; the rest works as the app role', async () => {
    assert.equal((await run(keysCommand, 'generate-master', 'master.key')).code, 0);
    const init = await run(dbCommand, 'init', '--admin-url', 'postgres://postgres@127.0.0.1:5432/postgres', ...target);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, new RegExp(`created: role ${owner}, role ${app}, database ${database}`));
    assert.equal(statSync(join(dir, 'secrets/app.pw')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'secrets/owner.pw')).mode & 0o777, 0o600);

    const migrate = await run(dbCommand, 'migrate', ...target);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /up to date/);

    const status = await run(dbCommand, 'status', ...target);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /driver: postgres[\s\S]*master key: [0-9a-f]{16} \(verified\)/);
    assert.doesNotMatch(status.stdout + status.stderr, /password/i);

    const verify = await run(auditCommand, 'verify', ...target);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /audit log intact: 0 records/);
  });

  test('a wrong CA is one plain sentence, exit 1', async () => {
    const r = await run(
      dbCommand,
      'status',
      ...target.map((a) => (a === PG_CA ? '/etc/ssl/certs/ca-certificates.crt' : a)),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^portcullis db: PostgreSQL TLS verification failed/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
