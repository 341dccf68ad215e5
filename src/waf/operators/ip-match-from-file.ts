import { readDataFiles } from './data-file.js';
import { ipListOperator } from './ip-list.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Like @ipMatch, with one address or CIDR block per line of the given files (paths
 * relative to the rule file; `#` lines skipped). Also `@ipMatchF`.
 * Syntax: `@ipMatchFromFile <file>`
 * Example: `SecRule REMOTE_ADDR "@ipMatchFromFile blocked-ips.data" "id:1,deny"`
 */
export const ipMatchFromFile: OperatorFactory = (argument, options) =>
  ipListOperator(readDataFiles(argument, options.baseDir, '@ipMatchFromFile'), '@ipMatchFromFile');
