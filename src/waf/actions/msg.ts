import type { ActionDefinition } from './types.js';

/**
 * Description: the message logged when the rule matches; macros are expanded.
 * Syntax: `msg:'TEXT'`
 * Example: `msg:'SQL Injection Attack Detected via libinjection'`
 */
export const msg: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    rule.msg = value;
  },
};
