import { generateApiKey } from '../auth/api-key.js';
import type { Store } from '../store/types.js';
import { Accounts } from './accounts.js';
import { generatePassword } from './cli/store.js';

export interface BootstrapResult {
  readonly adminUsername: string;
  /** One-time: printed once by init, must be changed at first login. */
  readonly adminPassword: string;
  readonly demoUsername: string;
  /** The demo user's API key, shown once; only its keyed hash is stored. */
  readonly demoApiKey: string;
}

/**
 * First run: an `admin` (role admin) with a generated one-time password and a `demo` user who
 * has no password, only an API key. Does nothing when any user exists (no default passwords,
 * ever: every secret here is random and shown once).
 */
export async function bootstrapAccounts(store: Store): Promise<BootstrapResult | undefined> {
  if ((await store.users.count()) > 0) return undefined;
  const accounts = new Accounts(store);
  await store.roles.put({ name: 'admin', description: 'administrators (the /demo/admin route requires it)' });
  await store.roles.put({ name: 'user', description: 'every signed-up user' });
  const adminPassword = generatePassword();
  const admin = await accounts.createUser({
    username: 'admin',
    password: adminPassword,
    roles: ['admin', 'user'],
    mustChangePassword: true,
  });
  const demo = await accounts.createUser({ username: 'demo', roles: ['user'] });
  const key = generateApiKey();
  await store.apiKeys.create({
    prefix: key.prefix,
    hash: await store.keyedHash('api-key', key.key),
    owner: demo.id,
    name: 'demo key created by init',
  });
  await store.audit.append({ type: 'user.create', actor: 'init', subject: admin.id, details: { username: 'admin' } });
  await store.audit.append({ type: 'user.create', actor: 'init', subject: demo.id, details: { username: 'demo' } });
  await store.audit.append({ type: 'key.create', actor: 'init', subject: key.prefix, details: { owner: demo.id } });
  return { adminUsername: 'admin', adminPassword, demoUsername: 'demo', demoApiKey: key.key };
}

/** What init prints once: the secrets and curl lines that reach the demo routes with them. */
export function bootstrapNotes(result: BootstrapResult, origin = 'https://localhost:8443'): string {
  return `
Created the first users (these secrets are shown only now):
  ${result.adminUsername}  one-time password: ${result.adminPassword}   (role admin; must be changed at first login)
  ${result.demoUsername}   API key: ${result.demoApiKey}

Start the gateway (portcullis start), then:
  # the demo user's API key reaches /demo/me
  curl -k ${origin}/demo/me -H 'x-api-key: ${result.demoApiKey}'
  # the admin signs in (or open ${origin}/auth/login in a browser), chooses a password, reaches /demo/admin
  curl -k -c jar.txt ${origin}/auth/login -H 'content-type: application/json' -d '{"username":"${result.adminUsername}","password":"${result.adminPassword}"}'
  curl -k -b jar.txt -c jar.txt ${origin}/auth/password -H 'content-type: application/json' -d '{"current_password":"${result.adminPassword}","new_password":"<your new passphrase>"}'
  curl -k -b jar.txt ${origin}/demo/admin
  # both answer 401 without a credential
  curl -k ${origin}/demo/me
`;
}
