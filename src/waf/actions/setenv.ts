import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: set a variable in the ENV collection (the gateway never touches process.env).
 * Syntax: `setenv:NAME=VALUE`
 * Example: `setenv:waf_blocked=1`
 */
export const setenv: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule) {
    const text = requireValue('setenv', value.trim());
    const eq = text.indexOf('=');
    const name = eq === -1 ? text : text.slice(0, eq);
    const v = eq === -1 ? '1' : text.slice(eq + 1);
    rule.effects.push({ kind: 'collection', collection: 'ENV' });
    rule.actions.push((tx) => tx.setEnv(tx.expandMacros(name), tx.expandMacros(v)));
  },
};
