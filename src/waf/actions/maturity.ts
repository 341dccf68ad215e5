import { type ActionDefinition, parseInteger } from './types.js';

/**
 * Description: how well tested the rule is, 1 to 9.
 * Syntax: `maturity:N`
 * Example: `maturity:9`
 */
export const maturity: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    rule.maturity = parseInteger('maturity', value);
  },
};
