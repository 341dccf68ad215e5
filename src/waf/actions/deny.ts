import type { ActionDefinition } from './types.js';

/**
 * Description: stop the transaction with an error status (403 unless `status:` says otherwise).
 * Syntax: `deny`
 * Example: `deny`
 */
export const deny: ActionDefinition = {
  kind: 'disruptive',
  apply(_value, rule) {
    rule.disruptive = { kind: 'deny', argument: '' };
  },
};
