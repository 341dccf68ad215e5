import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { generateDevCertificate } from '../../tls/index.js';
import type { CliIO, Command } from '../command.js';
import { configPathFrom, hasFlag } from '../options.js';

/** The commented configuration `init` writes: embedded defaults, demo backend, HTTPS on 8443. */
export function defaultConfigText(): string {
  return `# Portcullis configuration, written by \`portcullis init\`.
# Reference: docs/configuration.md. Validate with \`portcullis check\`; the running gateway
# reloads this file when it changes (or on SIGHUP) and keeps the old one if the new one is bad.

# Where Portcullis keeps its own data (SQLite database, keys, development certificate).
dataDir: ./data

listeners:
  # HTTPS with HTTP/2 and HTTP/1.1 (ALPN), TLS 1.2+ with Mozilla "intermediate" ciphers.
  # The certificate is a self-signed development one for localhost: replace it for production
  # (the files are watched and reloaded without a restart).
  - name: https
    protocol: https
    host: 0.0.0.0
    port: 8443
    tls:
      cert: ./data/tls/dev-cert.pem
      key: ./data/tls/dev-key.pem
  # Plain HTTP only redirects to HTTPS (308).
  - name: http
    protocol: http
    host: 0.0.0.0
    port: 8080

# Metrics, health and readiness, on loopback only.
admin:
  host: 127.0.0.1
  port: 9090

# A small built-in backend so the routes below answer something. Turn it off for real use.
demo:
  enabled: true
  port: 9091

upstreams:
  demo:
    targets: ["http://127.0.0.1:9091"]

# Default deny: a path no route matches answers 404, and every route must either be
# \`public: true\` or say which credentials it accepts (\`auth\`) and what they must allow (\`allow\`).
routes:
  - name: demo-public
    match: { path: /demo/public, methods: [GET] }
    upstream: demo
    public: true
  # Any valid credential: the demo API key, a signed-in browser session, or Basic.
  - name: demo-me
    match: { path: /demo/me, methods: [GET] }
    upstream: demo
    auth: { accept: [apiKey, jwt, session, basic] }
  # Only users holding the role admin.
  - name: demo-admin
    match: { path: /demo/admin, methods: [GET] }
    upstream: demo
    auth: { accept: [apiKey, jwt, session, basic] }
    allow: { roles: [admin] }
  # The built-in identity provider: login pages and their JSON API, OpenID Connect.
  - name: identity-provider
    match: { path: /auth/*, methods: [GET, POST] }
    upstream: internal:idp
    public: true
  - name: openid-connect
    match: { path: /oidc/*, methods: [GET, POST, DELETE] }
    upstream: internal:idp
    public: true
  - name: openid-discovery
    match: { path: /.well-known/openid-configuration, methods: [GET] }
    upstream: internal:idp
    public: true

# The built-in identity provider (users: \`portcullis user\`, OAuth clients: \`portcullis client\`).
# The issuer is fixed here, never taken from the Host header; tokens it issues are accepted by
# \`auth: { accept: [jwt] }\` with no issuer configuration (the issuer named "builtin").
identityProvider:
  issuer: https://localhost:8443
`;
}

export interface InitResult {
  readonly configFile: string;
  readonly created: readonly string[];
  /** Printed once: the first admin's one-time password, the demo API key, curl lines. */
  readonly notes?: string;
}

/** Writes the config, data directory and development certificate that do not exist yet. */
export async function initialize(configFile: string, force = false): Promise<InitResult> {
  const created: string[] = [];
  const dir = dirname(configFile);
  const dataDir = join(dir, 'data');
  mkdirSync(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
  if (force || !existsSync(configFile)) {
    writeFileSync(configFile, defaultConfigText(), { mode: 0o600 });
    created.push(configFile);
  }
  const certFile = join(dataDir, 'tls', 'dev-cert.pem');
  const keyFile = join(dataDir, 'tls', 'dev-key.pem');
  if (force || !existsSync(certFile) || !existsSync(keyFile)) {
    const pair = await generateDevCertificate({ hosts: ['localhost', '127.0.0.1', '::1'], days: 90 });
    writeFileSync(keyFile, pair.keyPem, { mode: 0o600 });
    writeFileSync(certFile, pair.certPem, { mode: 0o644 });
    created.push(certFile, keyFile);
  }
  let notes: string | undefined;
  if (created.includes(configFile)) {
    const { openStore } = await import('../../store/store.js');
    const { bootstrapAccounts, bootstrapNotes } = await import('../../idp/bootstrap.js');
    const pino = (await import('pino')).default;
    const store = await openStore(undefined, { dataDir, configDir: dir, logger: pino({ level: 'silent' }) });
    try {
      const result = await bootstrapAccounts(store);
      if (result) notes = bootstrapNotes(result);
    } finally {
      await store.close();
    }
  }
  return { configFile, created, ...(notes ? { notes } : {}) };
}

export const initCommand: Command = {
  name: 'init',
  summary: 'write a commented portcullis.yaml, a data directory and a development certificate',
  help: `Usage: portcullis init [--config PATH] [--force]

Creates, next to the config file (default ./portcullis.yaml):
  - the configuration with embedded defaults (HTTPS on 8443, HTTP->HTTPS redirect on 8080,
    admin on 127.0.0.1:9090, the demo backend and its routes);
  - ./data/ (mode 0700) and a self-signed ECDSA certificate for localhost in ./data/tls/.
Existing files are kept unless --force is given. \`portcullis start\` runs this by itself when no
configuration exists.`,
  async run(argv, io: CliIO) {
    const file = configPathFrom(argv, io);
    const result = await initialize(resolve(file), hasFlag(argv, '--force'));
    if (result.created.length === 0) io.stdout(`${file} and its data directory already exist; nothing written\n`);
    for (const f of result.created) io.stdout(`wrote ${relative(io.cwd, f) || f}\n`);
    if (result.notes) io.stdout(result.notes);
    return 0;
  },
};
