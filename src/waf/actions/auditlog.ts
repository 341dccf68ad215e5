import type { ActionDefinition } from './types.js';

/**
 * Description: record the match in the audit log.
 * Syntax: `auditlog`
 * Example: `auditlog`
 */
export const auditlog: ActionDefinition = {
  kind: 'nondisruptive',
  apply(_value, rule) {
    rule.auditLog = true;
  },
};
