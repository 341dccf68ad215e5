import argon2 from 'argon2';

/**
 * argon2id at the OWASP Password Storage Cheat Sheet baseline: m = 19 MiB, t = 2, p = 1.
 * argon2 runs on libuv's threadpool, so a login never blocks the event loop that proxies.
 */
export const ARGON2_PARAMS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_PARAMS);
}

/** False (never a throw) for a malformed hash: a corrupt row must not become a 500 on login. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** True when the stored hash was made with other parameters: rehash it after a successful login. */
export function needsRehash(hash: string): boolean {
  try {
    return argon2.needsRehash(hash, ARGON2_PARAMS);
  } catch {
    return true;
  }
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password with the current parameters. Unknown, disabled and locked users are
 * verified against it so the answer costs the same argon2 run (no user enumeration by timing).
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`);
  return dummy;
}

/** NFKC then lower case (RFC 8265 §3.2 UsernameCaseMapped), what the store compares exactly. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

export const USERNAME_PATTERN = /^[\p{L}\p{N}._@+-]{1,64}$/u;
