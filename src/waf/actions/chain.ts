import type { ActionDefinition } from './types.js';

/**
 * Description: the next rule is part of this one; the rule matches only if every rule of the
 * chain matches. Disruptive and flow actions belong to the chain starter.
 * Syntax: `chain`
 * Example: `SecRule A "@rx x" "id:1,deny,chain"` then `SecRule B "@rx y"`
 */
export const chain: ActionDefinition = {
  kind: 'flow',
  apply(_value, rule) {
    rule.chain = true;
  },
};
