import type { ActionDefinition } from './types.js';

/**
 * Description: do not log matches of this rule (implies noauditlog).
 * Syntax: `nolog`
 * Example: `nolog`
 */
export const nolog: ActionDefinition = {
  kind: 'nondisruptive',
  apply(_value, rule) {
    rule.log = false;
    rule.auditLog = false;
  },
};
