import type { ActionDefinition } from './types.js';

/**
 * Description: run the operator on the value before and after every transformation.
 * Syntax: `multiMatch`
 * Example: `t:none,t:lowercase,multiMatch`
 */
export const multiMatch: ActionDefinition = {
  kind: 'nondisruptive',
  apply(_value, rule) {
    rule.multiMatch = true;
  },
};
