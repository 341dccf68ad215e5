import type { ActionDefinition } from './types.js';

/**
 * Description: close the connection without an answer (the gateway answers like deny).
 * Syntax: `drop`
 * Example: `drop`
 */
export const drop: ActionDefinition = {
  kind: 'disruptive',
  apply(_value, rule) {
    rule.disruptive = { kind: 'drop', argument: '' };
  },
};
