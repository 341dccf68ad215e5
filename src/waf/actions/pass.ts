import type { ActionDefinition } from './types.js';

/**
 * Description: go on with the next rule even though this one matched.
 * Syntax: `pass`
 * Example: `pass`
 */
export const pass: ActionDefinition = {
  kind: 'disruptive',
  apply(_value, rule) {
    rule.disruptive = { kind: 'pass', argument: '' };
  },
};
