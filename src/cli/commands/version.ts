import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the Portcullis and Node.js versions',
  help: 'Usage: portcullis version\n\nPrints the Portcullis version and the Node.js version it runs on.',
  async run(_argv, io) {
    io.stdout(`portcullis ${packageVersion()} (node ${process.version})\n`);
    return 0;
  },
};
