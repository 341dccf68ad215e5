import type { ActionDefinition } from './types.js';

/**
 * Description: leave the match out of the audit log.
 * Syntax: `noauditlog`
 * Example: `noauditlog`
 */
export const noauditlog: ActionDefinition = {
  kind: 'nondisruptive',
  apply(_value, rule) {
    rule.auditLog = false;
  },
};
