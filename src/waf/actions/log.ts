import type { ActionDefinition } from './types.js';

/**
 * Description: write a match of this rule to the log (and audit log).
 * Syntax: `log`
 * Example: `log`
 */
export const log: ActionDefinition = {
  kind: 'nondisruptive',
  apply(_value, rule) {
    rule.log = true;
    rule.auditLog = true;
  },
};
