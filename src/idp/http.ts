import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { readCookie } from '../auth/session.js';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { PROBLEM_CONTENT_TYPE, type ProblemItem, problemJson } from '../errors/problem.js';
import type { RequestContext } from '../pipeline/context.js';
import type { InternalHandler } from '../server/internal.js';
import { AccountError, type Accounts } from './accounts.js';
import { BodyTooLarge, forwardedRequest, readBody } from './forwarding.js';
import { accountPage, consentPage, loginPage, mfaPage, type Page, passwordPage } from './pages.js';
import type { Sessions } from './sessions.js';
import { base32, matchTotp, newRecoveryCodes, newTotpSecret, otpauthUri } from './totp.js';

const MAX_BODY = 8 * 1024;
/** Longer inputs never reach argon2 (hash-flooding DoS); the policy maximum is 128 anyway. */
const MAX_FIELD = 1024;

export interface IdpHttpOptions {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  /** scheme://host[:port] of the issuer: the only Origin accepted on state-changing requests. */
  readonly origin: string;
  /**
   * The OIDC provider (whose login and consent interactions these pages complete) and its handler
   * for everything outside /auth/; a function because the provider is rebuilt after a key rotation.
   */
  readonly oidc?: () => { readonly provider: Provider; readonly handler: InternalHandler };
}

class BadRequest extends Error {}

function isJson(req: IncomingMessage): boolean {
  return /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
}

function wantsJson(req: IncomingMessage): boolean {
  if (isJson(req)) return true;
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

async function readFields(req: IncomingMessage, ctx: RequestContext): Promise<Record<string, string>> {
  const body = await readBody(req, ctx, MAX_BODY);
  const out: Record<string, string> = {};
  if (isJson(req)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new BadRequest('invalid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new BadRequest('expected an object');
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out[k] = v;
  } else if (/^application\/x-www-form-urlencoded\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) out[k] ??= v;
  } else {
    throw new BadRequest('unsupported media type');
  }
  for (const v of Object.values(out)) if (v.length > MAX_FIELD) throw new BadRequest('field too long');
  return out;
}

/** Only a local path: an absolute or protocol-relative URL would make the login an open redirect. */
function safeReturnTo(value: string | undefined | null): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return /[\x00-\x1f]/.test(value) ? '/' : value;
}

/**
 * Login CSRF defence (OWASP CSRF Prevention Cheat Sheet, Fetch Metadata): a browser says where a
 * POST comes from; refuse any other site. Clients that send neither header are not browsers and
 * carry no ambient cookie to abuse.
 */
function sameOrigin(req: IncomingMessage, origin: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const from = req.headers.origin;
  return from === undefined || from === origin;
}

function security(res: ServerResponse): void {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
}

function sendPage(res: ServerResponse, status: number, p: Page, cookie?: string): void {
  security(res);
  res.setHeader('content-security-policy', p.csp);
  res.setHeader('x-frame-options', 'DENY');
  if (cookie) res.setHeader('set-cookie', cookie);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(p.html);
}

function sendJson(res: ServerResponse, status: number, body: unknown, cookie?: string): void {
  security(res);
  if (cookie) res.setHeader('set-cookie', cookie);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendProblem(
  res: ServerResponse,
  ctx: RequestContext,
  code: ErrorCode,
  extra: { errors?: readonly ProblemItem[]; retryAfterMs?: number; cookie?: string } = {},
): void {
  security(res);
  if (extra.retryAfterMs !== undefined)
    res.setHeader('retry-after', String(Math.max(1, Math.ceil(extra.retryAfterMs / 1000))));
  if (extra.cookie) res.setHeader('set-cookie', extra.cookie);
  res.writeHead(ERROR_CODES[code].status, { 'content-type': PROBLEM_CONTENT_TYPE });
  res.end(problemJson(code, ctx.id, undefined, extra.errors));
}

function redirect(res: ServerResponse, location: string, cookie?: string): void {
  security(res);
  if (cookie) res.setHeader('set-cookie', cookie);
  // RFC 9110 §15.4.4: 303 turns the POST into a GET of the next page.
  res.writeHead(303, { location });
  res.end();
}

const INVALID_LOGIN = 'The username or password is not correct.';

/**
 * The hosted login pages and the same flows as a JSON API, under /auth/:
 *   GET  /auth/login            page;  POST /auth/login     {username, password}
 *   GET  /auth/password         page;  POST /auth/password  {current_password, new_password}
 *   GET  /auth/mfa              page;  POST /auth/mfa       {code} or {recovery_code}, after a password login
 *   POST /auth/mfa/totp/setup   {secret, otpauthUri};  POST /auth/mfa/totp/confirm {code} -> {recoveryCodes}
 *   POST /auth/logout           ends this session;  POST /auth/logout-all  signs the user out everywhere
 *                               (sessions, access and refresh tokens, API keys issued so far)
 *   GET  /auth/session          JSON: who is signed in (and the CSRF token for the session method)
 */
export function createIdpHandler(options: IdpHttpOptions): InternalHandler {
  const { accounts, sessions } = options;

  async function currentSession(req: IncomingMessage) {
    const id = readCookie(req.headers.cookie, sessions.policy.cookie);
    const session = await sessions.get(id);
    return session && id ? { id, session } : undefined;
  }

  async function login(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const json = wantsJson(req);
    const fields = await readFields(req, ctx);
    const username = fields.username ?? '';
    const returnTo = safeReturnTo(fields.return_to);
    const result = await accounts.login(username, fields.password ?? '', ctx.clientIp);
    if (!result.ok) {
      await accounts.store.audit.append({
        type: 'auth.login.failure',
        actor: null,
        ip: ctx.clientIp,
        details: { reason: result.reason },
      });
      if (result.reason === 'throttled') {
        if (json) return sendProblem(res, ctx, 'PC_ERR_RATE_LIMITED', { retryAfterMs: result.retryAfterMs });
        res.setHeader('retry-after', String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))));
        return sendPage(
          res,
          429,
          loginPage({ error: 'Too many attempts. Wait a moment and try again.', returnTo, username }),
        );
      }
      if (json) return sendProblem(res, ctx, 'PC_ERR_INVALID_TOKEN');
      return sendPage(res, 401, loginPage({ error: INVALID_LOGIN, returnTo, username }));
    }
    const previous = readCookie(req.headers.cookie, sessions.policy.cookie);
    const mfa = await accounts.hasMfa(result.user.id);
    const pending = mfa ? ('mfa' as const) : result.mustChangePassword ? ('password' as const) : undefined;
    const started = await sessions.start(result.user.id, { amr: ['pwd'], ...(pending ? { pending } : {}) }, previous);
    await accounts.store.audit.append({
      type: 'auth.login.success',
      actor: result.user.id,
      ip: ctx.clientIp,
      details: { mfa },
    });
    const cookie = sessions.setCookie(started.id);
    if (json) {
      return sendJson(
        res,
        200,
        {
          authenticated: pending === undefined,
          mfaRequired: mfa,
          mustChangePassword: result.mustChangePassword,
          csrfToken: started.csrf,
        },
        cookie,
      );
    }
    return redirect(res, nextStep(pending, returnTo), cookie);
  }

  function nextStep(pending: 'mfa' | 'password' | undefined, returnTo: string): string {
    if (pending === 'mfa') return `/auth/mfa?return_to=${encodeURIComponent(returnTo)}`;
    if (pending === 'password') return `/auth/password?return_to=${encodeURIComponent(returnTo)}`;
    return returnTo;
  }

  /** Second step of a login: a TOTP code (replays refused, RFC 6238 §5.2) or a single-use recovery code. */
  async function verifyMfa(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const json = wantsJson(req);
    const fields = await readFields(req, ctx);
    const returnTo = safeReturnTo(fields.return_to);
    const current = await currentSession(req);
    if (current?.session.data.pending !== 'mfa') {
      if (json) return sendProblem(res, ctx, 'PC_ERR_UNAUTHENTICATED');
      return redirect(res, `/auth/login?return_to=${encodeURIComponent(returnTo)}`);
    }
    const userId = current.session.userId;
    const limiter = accounts.limiter();
    const account = `mfa:${userId}`;
    if (limiter) {
      const check = await limiter.check(account, ctx.clientIp);
      if (!check.allowed) return sendProblem(res, ctx, 'PC_ERR_RATE_LIMITED', { retryAfterMs: check.retryAfterMs });
    }
    const store = accounts.store;
    let ok = false;
    const totp = await store.mfa.getTotp(userId);
    if (fields.code && totp?.confirmedAt) {
      const step = matchTotp(totp.secret, fields.code.trim(), Date.now());
      ok = step !== undefined && (await store.mfa.useTotpStep(userId, step));
    } else if (fields.recovery_code) {
      const normalized = fields.recovery_code.trim().toLowerCase();
      ok = await store.mfa.consumeRecoveryCode(userId, await store.keyedHash('recovery-code', normalized));
    }
    if (!ok) {
      await limiter?.recordFailure(account, ctx.clientIp);
      await store.audit.append({ type: 'auth.mfa.failure', actor: userId, ip: ctx.clientIp });
      if (json) return sendProblem(res, ctx, 'PC_ERR_INVALID_TOKEN');
      return sendPage(res, 401, mfaPage({ error: 'That code is not valid.', returnTo }));
    }
    await limiter?.recordSuccess(account, ctx.clientIp);
    const user = await store.users.get(userId);
    const pending = user?.mustChangePassword ? ('password' as const) : undefined;
    const started = await sessions.start(userId, { amr: ['pwd', 'otp'], ...(pending ? { pending } : {}) }, current.id);
    await store.audit.append({ type: 'auth.mfa.success', actor: userId, ip: ctx.clientIp });
    const cookie = sessions.setCookie(started.id);
    if (json)
      return sendJson(
        res,
        200,
        { authenticated: pending === undefined, mustChangePassword: pending !== undefined, csrfToken: started.csrf },
        cookie,
      );
    return redirect(res, nextStep(pending, returnTo), cookie);
  }

  /** TOTP enrolment for a signed-in user: setup gives the secret, confirm proves it and returns recovery codes once. */
  async function enrolTotp(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, confirm: boolean) {
    const fields = await readFields(req, ctx);
    const current = await currentSession(req);
    if (!current || current.session.data.pending !== undefined) return sendProblem(res, ctx, 'PC_ERR_UNAUTHENTICATED');
    const user = await accounts.store.users.get(current.session.userId);
    if (!user) return sendProblem(res, ctx, 'PC_ERR_UNAUTHENTICATED');
    const store = accounts.store;
    if (!confirm) {
      if (await accounts.hasMfa(user.id))
        return sendProblem(res, ctx, 'PC_ERR_BAD_REQUEST', { errors: [{ location: '/', rule: 'already_enrolled' }] });
      const secret = newTotpSecret();
      await store.mfa.setTotp(user.id, secret);
      return sendJson(res, 200, {
        secret: base32(secret),
        otpauthUri: otpauthUri(secret, user.username, new URL(options.origin).host),
      });
    }
    const totp = await store.mfa.getTotp(user.id);
    const step = totp && !totp.confirmedAt ? matchTotp(totp.secret, (fields.code ?? '').trim(), Date.now()) : undefined;
    if (step === undefined || !(await store.mfa.useTotpStep(user.id, step)))
      return sendProblem(res, ctx, 'PC_ERR_INVALID_TOKEN');
    await store.mfa.confirmTotp(user.id);
    const codes = newRecoveryCodes();
    await store.mfa.setRecoveryCodes(user.id, await Promise.all(codes.map((c) => store.keyedHash('recovery-code', c))));
    await store.audit.append({ type: 'user.mfa.enrol', actor: user.id, subject: user.id, ip: ctx.clientIp });
    return sendJson(res, 200, { enrolled: true, recoveryCodes: codes });
  }

  async function changePassword(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const json = wantsJson(req);
    const fields = await readFields(req, ctx);
    const returnTo = safeReturnTo(fields.return_to);
    const current = await currentSession(req);
    if (!current) {
      if (json) return sendProblem(res, ctx, 'PC_ERR_UNAUTHENTICATED');
      return redirect(res, `/auth/login?return_to=${encodeURIComponent(returnTo)}`);
    }
    const user = await accounts.store.users.get(current.session.userId);
    if (!user) return sendProblem(res, ctx, 'PC_ERR_UNAUTHENTICATED');
    const first = current.session.data.pending === 'password';
    const check = await accounts.login(user.username, fields.current_password ?? '', ctx.clientIp);
    if (!check.ok) {
      if (check.reason === 'throttled')
        return sendProblem(res, ctx, 'PC_ERR_RATE_LIMITED', { retryAfterMs: check.retryAfterMs });
      if (json) return sendProblem(res, ctx, 'PC_ERR_INVALID_TOKEN');
      return sendPage(res, 401, passwordPage({ error: 'The current password is not correct.', returnTo, first }));
    }
    const next = fields.new_password ?? '';
    if (next === fields.current_password) {
      const message = 'The new password must differ from the current one.';
      if (json)
        return sendProblem(res, ctx, 'PC_ERR_BAD_REQUEST', {
          errors: [{ location: '/new_password', rule: 'unchanged' }],
        });
      return sendPage(res, 400, passwordPage({ error: message, returnTo, first }));
    }
    try {
      await accounts.setPassword(user.id, next);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      if (json)
        return sendProblem(res, ctx, 'PC_ERR_BAD_REQUEST', {
          errors: [{ location: '/new_password', rule: error.rule }],
        });
      return sendPage(res, 400, passwordPage({ error: error.message, returnTo, first }));
    }
    await accounts.store.audit.append({
      type: 'user.password.change',
      actor: user.id,
      subject: user.id,
      ip: ctx.clientIp,
    });
    // setPassword signed the user out everywhere; this browser continues on a fresh session,
    // created after the cutoff.
    const started = await sessions.start(user.id, { amr: ['pwd'] });
    const cookie = sessions.setCookie(started.id);
    if (json) return sendJson(res, 200, { authenticated: true, csrfToken: started.csrf }, cookie);
    return redirect(res, returnTo, cookie);
  }

  async function logout(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, everywhere: boolean) {
    const current = await currentSession(req);
    let ended = 0;
    if (current) {
      // Everywhere: also the access tokens, refresh tokens and API keys issued so far.
      ended = everywhere
        ? (await accounts.signOutEverywhere(current.session.userId)).sessions
        : Number(await sessions.end(current.id));
      await accounts.store.audit.append({
        type: everywhere ? 'auth.logout.all' : 'auth.logout',
        actor: current.session.userId,
        ip: ctx.clientIp,
      });
    }
    if (wantsJson(req)) return sendJson(res, 200, { sessionsEnded: ended }, sessions.clearCookie());
    return redirect(res, '/auth/login', sessions.clearCookie());
  }

  async function whoami(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, html: boolean) {
    const current = await currentSession(req);
    const user = current ? await accounts.store.users.get(current.session.userId) : undefined;
    if (!current || !user || user.disabled) {
      if (html) return redirect(res, '/auth/login');
      return sendProblem(res, ctx, 'PC_ERR_UNAUTHENTICATED');
    }
    if (html) return sendPage(res, 200, accountPage(user.username));
    return sendJson(res, 200, {
      subject: user.id,
      username: user.username,
      roles: user.roles,
      mustChangePassword: current.session.data.pending === 'password',
      csrfToken: current.session.data.csrf,
      expiresAt: new Date(current.session.expiresAt).toISOString(),
    });
  }

  /**
   * An OIDC authorization request waiting for login or consent (oidc-provider "interactions").
   * Login is our session; consent is asked once per client and scope set, then remembered in the grant.
   */
  async function interaction(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const provider = options.oidc?.().provider;
    if (!provider) return sendProblem(res, ctx, 'PC_ERR_NOT_FOUND');
    const issuer = new URL(options.origin);
    const fields = req.method === 'POST' ? await readFields(req, ctx) : {};
    const forwarded = () => forwardedRequest(req, ctx, issuer, Buffer.alloc(0));
    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await provider.interactionDetails(forwarded(), res);
    } catch {
      return sendPage(
        res,
        400,
        loginPage({ error: 'This sign-in request has expired. Start again from the application.' }),
      );
    }
    const current = await currentSession(req);
    const user =
      current && current.session.data.pending === undefined
        ? await accounts.store.users.get(current.session.userId)
        : undefined;
    if (!user || user.disabled) return redirect(res, `/auth/login?return_to=${encodeURIComponent(ctx.path)}`);
    if (details.prompt.name === 'login') {
      return provider.interactionFinished(
        forwarded(),
        res,
        { login: { accountId: user.id } },
        { mergeWithLastSubmission: false },
      );
    }
    const clientId = String(details.params.client_id ?? '');
    const oidcScopes = details.prompt.details.missingOIDCScope ?? [];
    const resourceScopes = details.prompt.details.missingResourceScopes ?? {};
    if (req.method !== 'POST') {
      const scopes = [...oidcScopes, ...Object.values(resourceScopes).flat()];
      return sendPage(res, 200, consentPage({ uid: details.uid, client: clientId, scopes, username: user.username }));
    }
    if (fields.decision !== 'allow') {
      return provider.interactionFinished(
        forwarded(),
        res,
        { error: 'access_denied', error_description: 'the user refused' },
        { mergeWithLastSubmission: false },
      );
    }
    const grant = new provider.Grant({ accountId: user.id, clientId });
    if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '));
    for (const [resource, scopes] of Object.entries(resourceScopes)) grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    await accounts.store.audit.append({ type: 'oauth.consent', actor: user.id, subject: clientId, ip: ctx.clientIp });
    return provider.interactionFinished(forwarded(), res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  async function route(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
    const method = req.method ?? 'GET';
    const path = ctx.path;
    if (method === 'POST' && !sameOrigin(req, options.origin)) return sendProblem(res, ctx, 'PC_ERR_CSRF');
    const query = new URLSearchParams(ctx.query);
    switch (`${method} ${path}`) {
      case 'GET /auth/login':
        return sendPage(res, 200, loginPage({ returnTo: safeReturnTo(query.get('return_to')) }));
      case 'POST /auth/login':
        return login(req, res, ctx);
      case 'GET /auth/password': {
        const current = await currentSession(req);
        if (!current) return redirect(res, '/auth/login');
        return sendPage(
          res,
          200,
          passwordPage({
            returnTo: safeReturnTo(query.get('return_to')),
            first: current.session.data.pending === 'password',
          }),
        );
      }
      case 'POST /auth/password':
        return changePassword(req, res, ctx);
      case 'GET /auth/mfa':
        return sendPage(res, 200, mfaPage({ returnTo: safeReturnTo(query.get('return_to')) }));
      case 'POST /auth/mfa':
        return verifyMfa(req, res, ctx);
      case 'POST /auth/mfa/totp/setup':
        return enrolTotp(req, res, ctx, false);
      case 'POST /auth/mfa/totp/confirm':
        return enrolTotp(req, res, ctx, true);
      case 'POST /auth/logout':
        return logout(req, res, ctx, false);
      case 'POST /auth/logout-all':
        return logout(req, res, ctx, true);
      case 'GET /auth/session':
        return whoami(req, res, ctx, false);
      case 'GET /auth/account':
        return whoami(req, res, ctx, true);
      default:
        if (path.startsWith('/auth/interaction/') && (method === 'GET' || method === 'POST'))
          return interaction(req, res, ctx);
        if (!path.startsWith('/auth/') && options.oidc) return options.oidc().handler(req, res, ctx);
        return sendProblem(res, ctx, 'PC_ERR_NOT_FOUND');
    }
  }

  return function idpHandler(req, res, ctx) {
    route(req, res, ctx).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLarge) return sendProblem(res, ctx, 'PC_ERR_BODY_TOO_LARGE');
      if (error instanceof BadRequest) {
        const code =
          error.message === 'unsupported media type' ? 'PC_ERR_UNSUPPORTED_MEDIA_TYPE' : 'PC_ERR_BAD_REQUEST';
        return sendProblem(res, ctx, code);
      }
      ctx.logFields.idpError = (error as Error).message;
      sendProblem(
        res,
        ctx,
        (error as { code?: string }).code === 'PC_STORE_UNAVAILABLE' ? 'PC_ERR_SERVICE_UNAVAILABLE' : 'PC_ERR_INTERNAL',
      );
    });
  };
}
