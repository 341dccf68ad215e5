import type { ActionDefinition } from './types.js';

/**
 * Description: the operator stores what it matched (and regex groups) in TX:0-9.
 * Syntax: `capture`
 * Example: `capture,logdata:'%{TX.0}'`
 */
export const capture: ActionDefinition = {
  kind: 'nondisruptive',
  apply(_value, rule) {
    rule.capture = true;
  },
};
