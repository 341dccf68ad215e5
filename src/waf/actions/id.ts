import { type ActionDefinition, parseInteger } from './types.js';

/**
 * Description: the rule's unique numeric id.
 * Syntax: `id:ID`
 * Example: `id:942100`
 */
export const id: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    const n = parseInteger('id', value.replace(/^'|'$/g, ''));
    if (n <= 0) throw new Error('action id must be a positive integer');
    rule.id = n;
  },
};
