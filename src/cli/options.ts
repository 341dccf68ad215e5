import { resolve } from 'node:path';
import type { CliIO } from './command.js';

export const DEFAULT_CONFIG = 'portcullis.yaml';

/** `--config PATH` / `--config=PATH`, else PORTCULLIS_CONFIG, else ./portcullis.yaml. */
export function configPathFrom(argv: readonly string[], io: CliIO): string {
  const explicit = explicitConfigPath(argv);
  return resolve(io.cwd, explicit ?? io.env.PORTCULLIS_CONFIG ?? DEFAULT_CONFIG);
}

export function explicitConfigPath(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config' || arg === '-c') return argv[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return undefined;
}

export function hasFlag(argv: readonly string[], ...names: string[]): boolean {
  return argv.some((a) => names.includes(a));
}
