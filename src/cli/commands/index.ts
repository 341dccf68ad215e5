import type { Command } from '../command.js';

/**
 * Every CLI command, in the order `portcullis --help` lists them. A command's module (and what it
 * imports: database drivers, the WAF engine, the identity provider) loads only when that command
 * runs, so `portcullis start` does not carry every other command in memory.
 */
export interface CommandEntry {
  readonly name: string;
  /** Must equal the loaded command's summary (checked by test/cli/cli.test.ts). */
  readonly summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'init',
    summary: 'write a commented portcullis.yaml, a data directory and a development certificate',
    load: async () => (await import('./init.js')).initCommand,
  },
  {
    name: 'start',
    summary: 'start the gateway (runs init first when no configuration exists)',
    load: async () => (await import('./start.js')).startCommand,
  },
  {
    name: 'check',
    summary: 'validate a configuration file without starting',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'bans',
    summary: 'list, add or lift client bans (shared through Redis)',
    load: async () => (await import('./bans.js')).bansCommand,
  },
  {
    name: 'user',
    summary:
      'users of the built-in identity provider: add, list, disable, enable, revoke-sessions, reset-password, reset-mfa, set-roles',
    load: async () => (await import('./user.js')).userCommand,
  },
  {
    name: 'role',
    summary: 'roles of the built-in identity provider: add, list, remove',
    load: async () => (await import('./role.js')).roleCommand,
  },
  {
    name: 'client',
    summary: 'OAuth clients of the built-in identity provider: add, list, rotate-secret, remove',
    load: async () => (await import('./client.js')).clientCommand,
  },
  {
    name: 'apikey',
    summary: 'API keys: create (shown once), list, revoke',
    load: async () => (await import('./apikey.js')).apikeyCommand,
  },
  {
    name: 'waf',
    summary: 'explain how the WAF sees and scores one request',
    load: async () => (await import('./waf.js')).wafCommand,
  },
  {
    name: 'db',
    summary: 'database: migrate, status, init (PostgreSQL roles), backup',
    load: async () => (await import('./db.js')).dbCommand,
  },
  {
    name: 'keys',
    summary: 'keys: rotate token-signing keys; generate and rotate the master key',
    load: async () => (await import('./keys.js')).keysCommand,
  },
  {
    name: 'audit',
    summary: 'audit log: verify the hash chain, list records',
    load: async () => (await import('./audit.js')).auditCommand,
  },
  {
    name: 'version',
    summary: 'print the Portcullis and Node.js versions',
    load: async () => (await import('./version.js')).versionCommand,
  },
];
