import { dictionary } from '@zxcvbn-ts/language-common';

export interface PasswordPolicyOptions {
  /** NIST SP 800-63B §3.1.1.2: at least 8, 15 recommended for single-factor; our default is 12. */
  readonly minLength?: number;
  /** At least 64 must be allowed; 128 by default. */
  readonly maxLength?: number;
}

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_username' | 'repetitive';

export interface PolicyResult {
  readonly ok: boolean;
  readonly problem?: PasswordProblem;
  /** One sentence for the user. */
  readonly message?: string;
}

let common: Set<string> | undefined;

/** The zxcvbn-ts common-password list (~30 000 most used passwords from breach corpora). */
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** Length in code points, after NFKC (SP 800-63B §3.1.1.2: each Unicode code point counts as one). */
function length(password: string): number {
  return [...password.normalize('NFKC')].length;
}

/**
 * NIST SP 800-63B §3.1.1.2: length bounds, no composition rules, and a blocklist of commonly
 * used or compromised values, repetitive strings and context-specific words (the username).
 */
export function checkPassword(password: string, username: string, options: PasswordPolicyOptions = {}): PolicyResult {
  const min = options.minLength ?? 12;
  const max = options.maxLength ?? 128;
  const n = length(password);
  if (n < min)
    return { ok: false, problem: 'too_short', message: `The password must have at least ${min} characters.` };
  if (n > max) return { ok: false, problem: 'too_long', message: `The password must have at most ${max} characters.` };
  const folded = password.normalize('NFKC').toLowerCase();
  const user = username.normalize('NFKC').trim().toLowerCase();
  if (user.length >= 3 && folded.includes(user))
    return { ok: false, problem: 'contains_username', message: 'The password must not contain the username.' };
  if (commonPasswords().has(folded) || commonPasswords().has(folded.replace(/[\d\W_]+$/u, '')))
    return { ok: false, problem: 'common', message: 'This password is too common; choose another.' };
  if (new Set(folded).size <= 2)
    return { ok: false, problem: 'repetitive', message: 'The password is too repetitive; choose another.' };
  return { ok: true };
}
