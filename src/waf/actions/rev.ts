import type { ActionDefinition } from './types.js';

/**
 * Description: the revision of the rule.
 * Syntax: `rev:TEXT`
 * Example: `rev:'2'`
 */
export const rev: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    rule.rev = value;
  },
};
