import { page, type RepoContext, randomId, strings } from './context.js';
import { bool, json, num, numOrNull, parseJson, type Row, type SqlValue, strOrNull } from './db.js';
import type {
  ApiKeyRecord,
  ApiKeyRepository,
  JsonObject,
  MfaRepository,
  OAuthClientRecord,
  OAuthClientRepository,
  SecretRepository,
  SigningKeyRecord,
  SigningKeyRepository,
} from './types.js';

function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: String(row.id),
    prefix: String(row.prefix),
    hash: String(row.hash),
    name: strOrNull(row.name),
    owner: String(row.owner),
    scopes: strings(row.scopes),
    plan: strOrNull(row.plan),
    createdAt: num(row.created_at),
    expiresAt: numOrNull(row.expires_at),
    lastUsedAt: numOrNull(row.last_used_at),
    revokedAt: numOrNull(row.revoked_at),
  };
}

export function createApiKeyRepository(ctx: RepoContext): ApiKeyRepository {
  const { db, now } = ctx;
  const get = async (id: string) => {
    const row = await db.get('SELECT * FROM api_keys WHERE id = ?', [id]);
    return row ? toApiKey(row) : undefined;
  };
  return {
    async create(key) {
      const id = key.id ?? randomId();
      await db.run(
        `INSERT INTO api_keys (id, prefix, hash, name, owner, scopes, plan, created_at, expires_at, last_used_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
        [
          id,
          key.prefix,
          key.hash,
          key.name ?? null,
          key.owner,
          json(key.scopes ?? []),
          key.plan ?? null,
          now(),
          key.expiresAt ?? null,
        ],
      );
      return (await get(id))!;
    },
    get,
    async getByPrefix(prefix) {
      const row = await db.get('SELECT * FROM api_keys WHERE prefix = ?', [prefix]);
      return row ? toApiKey(row) : undefined;
    },
    async list(filter) {
      const [limit, offset] = page(filter);
      const rows =
        filter?.owner === undefined
          ? await db.all('SELECT * FROM api_keys ORDER BY created_at, id LIMIT ? OFFSET ?', [limit, offset])
          : await db.all('SELECT * FROM api_keys WHERE owner = ? ORDER BY created_at, id LIMIT ? OFFSET ?', [
              filter.owner,
              limit,
              offset,
            ]);
      return rows.map(toApiKey);
    },
    async touch(id) {
      await db.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [now(), id]);
    },
    async revoke(id) {
      await db.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now(), id]);
      return (await get(id)) !== undefined;
    },
    async delete(id) {
      return (await db.run('DELETE FROM api_keys WHERE id = ?', [id])) > 0;
    },
  };
}

function toClient(row: Row): OAuthClientRecord {
  return {
    clientId: String(row.client_id),
    secretHash: strOrNull(row.secret_hash),
    metadata: parseJson<JsonObject>(row.metadata, {}),
    disabled: num(row.disabled) === 1,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function createOAuthClientRepository(ctx: RepoContext): OAuthClientRepository {
  const { db, now } = ctx;
  const get = async (clientId: string) => {
    const row = await db.get('SELECT * FROM oauth_clients WHERE client_id = ?', [clientId]);
    return row ? toClient(row) : undefined;
  };
  return {
    async create(client) {
      const at = now();
      await db.run(
        'INSERT INTO oauth_clients (client_id, secret_hash, metadata, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
        [client.clientId, client.secretHash ?? null, json(client.metadata ?? {}), bool(client.disabled), at, at],
      );
      return (await get(client.clientId))!;
    },
    get,
    async list(options) {
      const [limit, offset] = page(options);
      return (await db.all('SELECT * FROM oauth_clients ORDER BY client_id LIMIT ? OFFSET ?', [limit, offset])).map(
        toClient,
      );
    },
    async update(clientId, patch) {
      const sets: string[] = [];
      const params: SqlValue[] = [];
      if (patch.secretHash !== undefined) {
        sets.push('secret_hash = ?');
        params.push(patch.secretHash);
      }
      if (patch.metadata !== undefined) {
        sets.push('metadata = ?');
        params.push(json(patch.metadata));
      }
      if (patch.disabled !== undefined) {
        sets.push('disabled = ?');
        params.push(bool(patch.disabled));
      }
      sets.push('updated_at = ?');
      params.push(now(), clientId);
      const changed = await db.run(`UPDATE oauth_clients SET ${sets.join(', ')} WHERE client_id = ?`, params);
      return changed ? get(clientId) : undefined;
    },
    async delete(clientId) {
      return (await db.run('DELETE FROM oauth_clients WHERE client_id = ?', [clientId])) > 0;
    },
  };
}

const signingContext = (kid: string) => ({ table: 'signing_keys', column: 'private_key_enc', rowId: kid });

export function createSigningKeyRepository(ctx: RepoContext): SigningKeyRepository {
  const { db, now } = ctx;
  const toKey = (row: Row): SigningKeyRecord => ({
    kid: String(row.kid),
    alg: String(row.alg),
    publicJwk: parseJson<JsonObject>(row.public_jwk, {}),
    privateKey: ctx.open(String(row.private_key_enc), signingContext(String(row.kid))).toString('utf8'),
    createdAt: num(row.created_at),
    notAfter: numOrNull(row.not_after),
    retiredAt: numOrNull(row.retired_at),
  });
  const get = async (kid: string) => {
    const row = await db.get('SELECT * FROM signing_keys WHERE kid = ?', [kid]);
    return row ? toKey(row) : undefined;
  };
  return {
    async create(key) {
      await db.run(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_enc, created_at, not_after, retired_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)`,
        [
          key.kid,
          key.alg,
          json(key.publicJwk),
          ctx.seal(key.privateKey, signingContext(key.kid)),
          now(),
          key.notAfter ?? null,
        ],
      );
      return (await get(key.kid))!;
    },
    get,
    async list(options) {
      const rows = options?.includeExpired
        ? await db.all('SELECT * FROM signing_keys ORDER BY created_at DESC, kid')
        : await db.all(
            'SELECT * FROM signing_keys WHERE not_after IS NULL OR not_after > ? ORDER BY created_at DESC, kid',
            [now()],
          );
      return rows.map(toKey);
    },
    async retire(kid, notAfter) {
      return (
        (await db.run('UPDATE signing_keys SET retired_at = COALESCE(retired_at, ?), not_after = ? WHERE kid = ?', [
          now(),
          notAfter,
          kid,
        ])) > 0
      );
    },
    async delete(kid) {
      return (await db.run('DELETE FROM signing_keys WHERE kid = ?', [kid])) > 0;
    },
  };
}

const totpContext = (userId: string) => ({ table: 'mfa_totp', column: 'secret_enc', rowId: userId });

export function createMfaRepository(ctx: RepoContext): MfaRepository {
  const { db, now } = ctx;
  return {
    async setTotp(userId, secret) {
      await db.run(
        `INSERT INTO mfa_totp (user_id, secret_enc, confirmed_at, last_used_step, created_at) VALUES (?, ?, NULL, NULL, ?)
         ON CONFLICT (user_id) DO UPDATE SET secret_enc = excluded.secret_enc, confirmed_at = NULL,
         last_used_step = NULL, created_at = excluded.created_at`,
        [userId, ctx.seal(secret, totpContext(userId)), now()],
      );
    },
    async getTotp(userId) {
      const row = await db.get('SELECT * FROM mfa_totp WHERE user_id = ?', [userId]);
      if (!row) return undefined;
      return {
        userId,
        secret: ctx.open(String(row.secret_enc), totpContext(userId)),
        confirmedAt: numOrNull(row.confirmed_at),
        lastUsedStep: numOrNull(row.last_used_step),
        createdAt: num(row.created_at),
      };
    },
    async confirmTotp(userId) {
      return (
        (await db.run('UPDATE mfa_totp SET confirmed_at = COALESCE(confirmed_at, ?) WHERE user_id = ?', [
          now(),
          userId,
        ])) > 0
      );
    },
    async useTotpStep(userId, step) {
      // Compare-and-set in one statement: two logins racing with the same code cannot both win.
      const changed = await db.run(
        'UPDATE mfa_totp SET last_used_step = ? WHERE user_id = ? AND (last_used_step IS NULL OR last_used_step < ?)',
        [step, userId, step],
      );
      return changed > 0;
    },
    async deleteTotp(userId) {
      return (await db.run('DELETE FROM mfa_totp WHERE user_id = ?', [userId])) > 0;
    },
    async setRecoveryCodes(userId, codeHashes) {
      await db.transaction(async (tx) => {
        await tx.run('DELETE FROM mfa_recovery_codes WHERE user_id = ?', [userId]);
        const at = now();
        for (const hash of new Set(codeHashes)) {
          await tx.run('INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)', [
            userId,
            hash,
            at,
          ]);
        }
      });
    },
    async consumeRecoveryCode(userId, codeHash) {
      return (
        (await db.run('DELETE FROM mfa_recovery_codes WHERE user_id = ? AND code_hash = ?', [userId, codeHash])) > 0
      );
    },
    async countRecoveryCodes(userId) {
      const row = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE user_id = ?', [
        userId,
      ]);
      return num(row?.n ?? 0);
    },
  };
}

const secretContext = (name: string) => ({ table: 'secrets', column: 'value_enc', rowId: name });

export function createSecretRepository(ctx: RepoContext): SecretRepository {
  const { db, now } = ctx;
  return {
    async put(name, value) {
      const at = now();
      await db.run(
        `INSERT INTO secrets (name, value_enc, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET value_enc = excluded.value_enc, updated_at = excluded.updated_at`,
        [name, ctx.seal(value, secretContext(name)), at, at],
      );
    },
    async get(name) {
      const row = await db.get('SELECT value_enc FROM secrets WHERE name = ?', [name]);
      return row ? ctx.open(String(row.value_enc), secretContext(name)).toString('utf8') : undefined;
    },
    async list() {
      return (await db.all('SELECT name FROM secrets ORDER BY name')).map((r) => String(r.name));
    },
    async delete(name) {
      return (await db.run('DELETE FROM secrets WHERE name = ?', [name])) > 0;
    },
  };
}

/** Every encrypted column, for master-key rotation: table, row-id column, sealed column. */
export const ENCRYPTED_COLUMNS = [
  { table: 'signing_keys', id: 'kid', column: 'private_key_enc' },
  { table: 'mfa_totp', id: 'user_id', column: 'secret_enc' },
  { table: 'secrets', id: 'name', column: 'value_enc' },
  { table: 'meta', id: 'key', column: 'value' },
] as const;
