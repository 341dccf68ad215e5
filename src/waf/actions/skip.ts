import { type ActionDefinition, parseInteger } from './types.js';

/**
 * Description: on match, skip the next N rules (chains count as one) of the phase.
 * Syntax: `skip:N`
 * Example: `skip:2`
 */
export const skip: ActionDefinition = {
  kind: 'flow',
  apply(value, rule) {
    const n = parseInteger('skip', value);
    if (n < 1) throw new Error('action skip needs a positive count');
    rule.skip = n;
  },
};
