import type { ActionDefinition } from './types.js';

/**
 * Description: stop rule processing and let the transaction through: for the rest of the
 * transaction, `allow:request` for the request phases, `allow:phase` for the current phase.
 * Syntax: `allow[:phase|request]`
 * Example: `allow:request`
 */
export const allow: ActionDefinition = {
  kind: 'disruptive',
  apply(value, rule) {
    const v = value.trim().toLowerCase();
    if (v !== '' && v !== 'phase' && v !== 'request') throw new Error(`invalid allow argument "${value}"`);
    rule.disruptive = { kind: 'allow', argument: v };
  },
};
