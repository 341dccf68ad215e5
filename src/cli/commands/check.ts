import pino from 'pino';
import { Registry } from 'prom-client';
import { ConfigErrors, formatIssue } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { Runtime } from '../../server/runtime.js';
import type { Command } from '../command.js';
import { configPathFrom } from '../options.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'validate a configuration file without starting',
  help: `Usage: portcullis check [--config PATH]

Validates the configuration: YAML syntax, every key against the schema (unknown keys are
errors), interpolated values, cross-references, and what each stage checks when it loads
(policies, CEL expressions, rules). Prints every problem as file:line:column: key.path: message
and exits 1 when there is any; exits 0 and prints "ok" otherwise.`,
  async run(argv, io) {
    const file = configPathFrom(argv, io);
    try {
      const loaded = loadConfig(file, { env: io.env });
      const runtime = await Runtime.build(loaded, {
        logger: pino({ level: 'silent' }),
        metrics: new Registry(),
        dryRun: true,
      });
      await runtime.dispose();
      io.stdout(`${loaded.file}: ok (${loaded.config.routes.length} routes)\n`);
      return 0;
    } catch (error) {
      if (error instanceof ConfigErrors) {
        for (const issue of error.errors) io.stderr(`${formatIssue(issue)}\n`);
        return 1;
      }
      io.stderr(`${file}: ${(error as Error).message}\n`);
      return 1;
    }
  },
};
