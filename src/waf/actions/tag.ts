import type { ActionDefinition } from './types.js';

/**
 * Description: a label for grouping rules (exclusions by tag, reports).
 * Syntax: `tag:'TEXT'`
 * Example: `tag:'attack-sqli'`
 */
export const tag: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    rule.tags.push(value);
  },
};
