import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: name the session of the transaction (SESSIONID) and open the SESSION collection.
 * Syntax: `setsid:VALUE`
 * Example: `setsid:%{REQUEST_COOKIES.PHPSESSID}`
 */
export const setsid: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule) {
    const template = requireValue('setsid', value);
    rule.effects.push({ kind: 'collection', collection: 'SESSION' });
    rule.actions.push((tx) => tx.initCollection('SESSION', tx.expandMacros(template)));
  },
};
