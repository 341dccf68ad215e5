import type { ActionDefinition } from './types.js';

/**
 * Description: do what the SecDefaultAction of the phase says (CRS: pass, and the anomaly rules decide).
 * Syntax: `block`
 * Example: `block`
 */
export const block: ActionDefinition = {
  kind: 'disruptive',
  apply(_value, rule) {
    rule.disruptive = { kind: 'block', argument: '' };
  },
};
