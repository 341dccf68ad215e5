import type { Command } from '../command.js';
import { apikeyCommand } from './apikey.js';
import { auditCommand } from './audit.js';
import { bansCommand } from './bans.js';
import { checkCommand } from './check.js';
import { clientCommand } from './client.js';
import { dbCommand } from './db.js';
import { initCommand } from './init.js';
import { keysCommand } from './keys.js';
import { roleCommand } from './role.js';
import { startCommand } from './start.js';
import { userCommand } from './user.js';
import { versionCommand } from './version.js';
import { wafCommand } from './waf.js';

/** Every CLI command, in the order `portcullis --help` lists them. */
export const STAGE_COMMANDS: readonly Command[] = [
  initCommand,
  startCommand,
  checkCommand,
  bansCommand,
  userCommand,
  roleCommand,
  clientCommand,
  apikeyCommand,
  wafCommand,
  dbCommand,
  keysCommand,
  auditCommand,
  versionCommand,
];
