import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: name the user of the transaction (USERID) and open the USER collection.
 * Syntax: `setuid:VALUE`
 * Example: `setuid:%{ARGS.username}`
 */
export const setuid: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule) {
    const template = requireValue('setuid', value);
    rule.effects.push({ kind: 'collection', collection: 'USER' });
    rule.actions.push((tx) => tx.initCollection('USER', tx.expandMacros(template)));
  },
};
