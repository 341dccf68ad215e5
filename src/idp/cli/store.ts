import { randomBytes } from 'node:crypto';
import * as support from '../../store/cli-support.js';

/** Flags of the user/role/client commands that take a value, besides the store's. */
const VALUE_FLAGS: ReadonlySet<string> = new Set([
  ...support.VALUE_FLAGS,
  '--roles',
  '--groups',
  '--email',
  '--name',
  '--permissions',
  '--inherits',
  '--description',
  '--redirect-uri',
  '--grant-types',
  '--scope',
]);

export function positionals(argv: readonly string[]): string[] {
  return support.positionals(argv, VALUE_FLAGS);
}

/** A comma-separated flag as a list; undefined when the flag is absent. */
export function listFlag(argv: readonly string[], name: string): string[] | undefined {
  const value = support.flag(argv, name);
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Every flag given after --repeat, e.g. several --redirect-uri. */
export function repeatedFlag(argv: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name && argv[i + 1] !== undefined) out.push(argv[++i] as string);
    else if (argv[i]?.startsWith(`${name}=`)) out.push((argv[i] as string).slice(name.length + 1));
  }
  return out;
}

// The identity-provider commands open their store like every other store command.
export { withStore } from '../../store/cli-support.js';

/**
 * A one-time password: 20 characters from a 56-symbol alphabet without look-alikes (~116 bits),
 * long enough for any length policy up to 20 and never in a common-password list.
 */
export function generatePassword(length = 20): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  const out: string[] = [];
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Rejection sampling keeps every symbol equally likely.
      if (byte < 224 && out.length < length) out.push(alphabet[byte % 56] as string);
    }
  }
  return out.join('');
}

/** The whole of stdin, trailing newline removed. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
