import { page, type RepoContext, randomId, strings } from './context.js';
import { bool, json, num, numOrNull, type Row, type SqlValue, strOrNull } from './db.js';
import type {
  GroupInput,
  GroupRecord,
  GroupRepository,
  NewUser,
  RoleInput,
  RoleRecord,
  RoleRepository,
  UserPatch,
  UserRecord,
  UserRepository,
} from './types.js';

const USER_COLUMNS =
  'id, username, display_name, email, password_hash, disabled, must_change_password, role_names, group_names, plan, ' +
  'created_at, updated_at, failed_logins, last_failed_login_at, locked_until, last_login_at';

function toUser(row: Row): UserRecord {
  return {
    id: String(row.id),
    username: String(row.username),
    displayName: strOrNull(row.display_name),
    email: strOrNull(row.email),
    passwordHash: strOrNull(row.password_hash),
    disabled: num(row.disabled) === 1,
    mustChangePassword: num(row.must_change_password) === 1,
    roles: strings(row.role_names),
    groups: strings(row.group_names),
    plan: strOrNull(row.plan),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    failedLogins: num(row.failed_logins),
    lastFailedLoginAt: numOrNull(row.last_failed_login_at),
    lockedUntil: numOrNull(row.locked_until),
    lastLoginAt: numOrNull(row.last_login_at),
  };
}

/** Patch field -> column and encoder. Column names come only from this table, never from input. */
const USER_PATCH: { readonly [K in keyof UserPatch]-?: [string, (v: NonNullable<UserPatch>[K]) => SqlValue] } = {
  username: ['username', (v) => v ?? null],
  displayName: ['display_name', (v) => v ?? null],
  email: ['email', (v) => v ?? null],
  passwordHash: ['password_hash', (v) => v ?? null],
  disabled: ['disabled', (v) => bool(v)],
  mustChangePassword: ['must_change_password', (v) => bool(v)],
  roles: ['role_names', (v) => json(v ?? [])],
  groups: ['group_names', (v) => json(v ?? [])],
  plan: ['plan', (v) => v ?? null],
  lockedUntil: ['locked_until', (v) => v ?? null],
};

export function createUserRepository(ctx: RepoContext): UserRepository {
  const { db, now } = ctx;
  const get = async (id: string) => {
    const row = await db.get(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return row ? toUser(row) : undefined;
  };
  return {
    async create(user: NewUser) {
      const at = now();
      const id = user.id ?? randomId();
      await db.run(
        `INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, NULL)`,
        [
          id,
          user.username,
          user.displayName ?? null,
          user.email ?? null,
          user.passwordHash ?? null,
          bool(user.disabled),
          bool(user.mustChangePassword),
          json(user.roles ?? []),
          json(user.groups ?? []),
          user.plan ?? null,
          at,
          at,
        ],
      );
      return (await get(id))!;
    },
    get,
    async getByUsername(username) {
      const row = await db.get(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`, [username]);
      return row ? toUser(row) : undefined;
    },
    async list(options) {
      const [limit, offset] = page(options);
      const rows = await db.all(`SELECT ${USER_COLUMNS} FROM users ORDER BY username LIMIT ? OFFSET ?`, [
        limit,
        offset,
      ]);
      return rows.map(toUser);
    },
    async count() {
      const row = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users');
      return num(row?.n ?? 0);
    },
    async update(id, patch) {
      const sets: string[] = [];
      const params: SqlValue[] = [];
      for (const key of Object.keys(USER_PATCH) as (keyof UserPatch)[]) {
        if (patch[key] === undefined) continue;
        const [column, encode] = USER_PATCH[key] as [string, (v: unknown) => SqlValue];
        sets.push(`${column} = ?`);
        params.push(encode(patch[key]));
      }
      sets.push('updated_at = ?');
      params.push(now(), id);
      const changed = await db.run(`UPDATE users SET ${sets.join(', ')} WHERE id = ?`, params);
      return changed ? get(id) : undefined;
    },
    async recordLoginFailure(id) {
      // One statement: the increment is atomic on both engines, whatever the concurrency.
      const row = await db.get<{ failed_logins: number }>(
        'UPDATE users SET failed_logins = failed_logins + 1, last_failed_login_at = ? WHERE id = ? RETURNING failed_logins',
        [now(), id],
      );
      return row ? num(row.failed_logins) : 0;
    },
    async recordLoginSuccess(id) {
      await db.run('UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?', [
        now(),
        id,
      ]);
    },
    async delete(id) {
      // A deleted account must leave no way back in: sessions, MFA and its keys go with it.
      return db.transaction(async (tx) => {
        await tx.run('DELETE FROM sessions WHERE user_id = ?', [id]);
        await tx.run('DELETE FROM mfa_totp WHERE user_id = ?', [id]);
        await tx.run('DELETE FROM mfa_recovery_codes WHERE user_id = ?', [id]);
        await tx.run('DELETE FROM api_keys WHERE owner = ?', [id]);
        return (await tx.run('DELETE FROM users WHERE id = ?', [id])) > 0;
      });
    },
  };
}

function toRole(row: Row): RoleRecord {
  return {
    name: String(row.name),
    description: strOrNull(row.description),
    permissions: strings(row.permissions),
    inherits: strings(row.inherits),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function createRoleRepository(ctx: RepoContext): RoleRepository {
  const { db, now } = ctx;
  const get = async (name: string) => {
    const row = await db.get('SELECT * FROM roles WHERE name = ?', [name]);
    return row ? toRole(row) : undefined;
  };
  return {
    async put(role: RoleInput) {
      const at = now();
      await db.run(
        `INSERT INTO roles (name, description, permissions, inherits, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description, permissions = excluded.permissions,
         inherits = excluded.inherits, updated_at = excluded.updated_at`,
        [role.name, role.description ?? null, json(role.permissions ?? []), json(role.inherits ?? []), at, at],
      );
      return (await get(role.name))!;
    },
    get,
    async list() {
      return (await db.all('SELECT * FROM roles ORDER BY name')).map(toRole);
    },
    async delete(name) {
      return (await db.run('DELETE FROM roles WHERE name = ?', [name])) > 0;
    },
  };
}

function toGroup(row: Row): GroupRecord {
  return {
    name: String(row.name),
    description: strOrNull(row.description),
    roles: strings(row.role_names),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

export function createGroupRepository(ctx: RepoContext): GroupRepository {
  const { db, now } = ctx;
  const get = async (name: string) => {
    const row = await db.get('SELECT * FROM user_groups WHERE name = ?', [name]);
    return row ? toGroup(row) : undefined;
  };
  return {
    async put(group: GroupInput) {
      const at = now();
      await db.run(
        `INSERT INTO user_groups (name, description, role_names, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET description = excluded.description, role_names = excluded.role_names,
         updated_at = excluded.updated_at`,
        [group.name, group.description ?? null, json(group.roles ?? []), at, at],
      );
      return (await get(group.name))!;
    },
    get,
    async list() {
      return (await db.all('SELECT * FROM user_groups ORDER BY name')).map(toGroup);
    },
    async delete(name) {
      return (await db.run('DELETE FROM user_groups WHERE name = ?', [name])) > 0;
    },
  };
}
