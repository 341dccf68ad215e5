import { randomBytes } from 'node:crypto';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

export interface Page {
  readonly html: string;
  /** Content-Security-Policy for this page: nothing loads but its own nonce'd style. */
  readonly csp: string;
}

/**
 * A complete page: no script, no third-party asset; the one inline style runs under a per-response
 * nonce, forms post only to this origin, and the page cannot be framed (clickjacking).
 */
export function page(title: string, body: string): Page {
  const nonce = randomBytes(16).toString('base64');
  const csp = `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Portcullis</title>
<style nonce="${nonce}">
body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#111;background:#fff}
label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #555;border-radius:4px}
input:focus,button:focus{outline:3px solid #1a5fb4;outline-offset:2px}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font:inherit;background:#1a5fb4;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{color:#a51d2d;border-left:4px solid #a51d2d;padding-left:.75rem}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
  return { html, csp };
}

function errorBlock(error: string | undefined): string {
  return error ? `<p class="error" role="alert" id="form-error">${escapeHtml(error)}</p>` : '';
}

function describedBy(error: string | undefined): string {
  return error ? ' aria-describedby="form-error" aria-invalid="true"' : '';
}

export function loginPage(options: { error?: string; returnTo?: string; username?: string }): Page {
  return page(
    'Sign in',
    `${errorBlock(options.error)}
<form method="post" action="/auth/login">
<input type="hidden" name="return_to" value="${escapeHtml(options.returnTo ?? '/')}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="${escapeHtml(options.username ?? '')}"${describedBy(options.error)}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${describedBy(options.error)}>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function passwordPage(options: { error?: string; returnTo?: string; first?: boolean }): Page {
  return page(
    options.first ? 'Choose your password' : 'Change password',
    `${options.first ? '<p>Your password was set by an administrator for one use. Choose your own to continue.</p>' : ''}
${errorBlock(options.error)}
<form method="post" action="/auth/password">
<input type="hidden" name="return_to" value="${escapeHtml(options.returnTo ?? '/')}">
<label for="current">Current password</label>
<input id="current" name="current_password" type="password" autocomplete="current-password" required>
<label for="new">New password</label>
<input id="new" name="new_password" type="password" autocomplete="new-password" minlength="12" maxlength="128" required aria-describedby="new-hint"${describedBy(options.error)}>
<p id="new-hint">At least 12 characters. Long passphrases are welcome; common passwords and your username are refused.</p>
<button type="submit">Save password</button>
</form>`,
  );
}

export function accountPage(username: string): Page {
  return page(
    'Signed in',
    `<p>You are signed in as <strong>${escapeHtml(username)}</strong>.</p>
<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>
<form method="post" action="/auth/logout-all"><button type="submit">Sign out everywhere</button></form>`,
  );
}

export function consentPage(options: {
  uid: string;
  client: string;
  scopes: readonly string[];
  username: string;
}): Page {
  const items = options.scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  const action = `/auth/interaction/${encodeURIComponent(options.uid)}`;
  return page(
    'Allow access?',
    `<p>Signed in as <strong>${escapeHtml(options.username)}</strong>.</p>
<p>The application <strong>${escapeHtml(options.client)}</strong> asks for:</p>
<ul>${items || '<li>your identity</li>'}</ul>
<form method="post" action="${action}"><input type="hidden" name="decision" value="allow"><button type="submit">Allow</button></form>
<form method="post" action="${action}"><input type="hidden" name="decision" value="deny"><button type="submit">Deny</button></form>`,
  );
}

export function mfaPage(options: { error?: string; returnTo?: string }): Page {
  return page(
    'Two-step verification',
    `${errorBlock(options.error)}
<form method="post" action="/auth/mfa">
<input type="hidden" name="return_to" value="${escapeHtml(options.returnTo ?? '/')}">
<label for="code">6-digit code from your authenticator app</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"${describedBy(options.error)}>
<label for="recovery">Or a recovery code</label>
<input id="recovery" name="recovery_code" autocomplete="off">
<button type="submit">Verify</button>
</form>`,
  );
}
