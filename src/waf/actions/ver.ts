import type { ActionDefinition } from './types.js';

/**
 * Description: the version of the rule set the rule belongs to.
 * Syntax: `ver:'TEXT'`
 * Example: `ver:'OWASP_CRS/4.0.0'`
 */
export const ver: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    rule.ver = value;
  },
};
