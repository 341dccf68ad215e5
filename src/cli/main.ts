#!/usr/bin/env node
import type { CliIO } from './command.js';
import { COMMANDS, type CommandEntry } from './commands/index.js';

const HELP_FLAGS = new Set(['--help', '-h', 'help']);

export function usage(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: portcullis [--config PATH] <command> [options]

A security gateway: the one entry point in front of your API.

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`portcullis <command> --help\` for a command's options.
`;
}

/** Parses argv and runs one command; returns the exit code. Exported for tests. */
export async function main(
  argv: readonly string[],
  io: CliIO,
  commands: readonly CommandEntry[] = COMMANDS,
): Promise<number> {
  // A global --config may come before the command name.
  const args = [...argv];
  const global: string[] = [];
  while (args[0]?.startsWith('-') && !HELP_FLAGS.has(args[0])) {
    const flag = args.shift() as string;
    global.push(flag);
    if ((flag === '--config' || flag === '-c') && args.length > 0) global.push(args.shift() as string);
  }
  const name = args.shift();
  if (name === undefined || HELP_FLAGS.has(name)) {
    io.stdout(usage(commands));
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') return main(['version'], io, commands);
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`portcullis: unknown command "${name}". Run \`portcullis --help\` for the list.\n`);
    return 2;
  }
  const command = await entry.load();
  if (args.some((a) => a === '--help' || a === '-h')) {
    io.stdout(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run([...global, ...args], io);
  } catch (error) {
    io.stderr(`portcullis ${name}: ${(error as Error).message}\n`);
    if (io.env.PORTCULLIS_DEBUG) io.stderr(`${(error as Error).stack}\n`);
    return 1;
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  const io: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`portcullis: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
