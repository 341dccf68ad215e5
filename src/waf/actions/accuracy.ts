import { type ActionDefinition, parseInteger } from './types.js';

/**
 * Description: how likely a match is a true positive, 1 to 9.
 * Syntax: `accuracy:N`
 * Example: `accuracy:8`
 */
export const accuracy: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    rule.accuracy = parseInteger('accuracy', value);
  },
};
