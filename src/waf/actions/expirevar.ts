import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: remove a collection variable after N seconds.
 * Syntax: `expirevar:COLLECTION.NAME=SECONDS`
 * Example: `expirevar:ip.blocked=600`
 */
export const expirevar: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule) {
    const text = requireValue('expirevar', value.trim());
    const m = /^([A-Za-z_]+)\.([^=]+)=(.+)$/.exec(text);
    if (!m) throw new Error(`expirevar needs COLLECTION.NAME=SECONDS, got "${text}"`);
    const [, col, key, seconds] = m;
    rule.effects.push({ kind: 'expirevar', collection: col!.toUpperCase(), key: key! });
    rule.actions.push((tx) => {
      const n = Number.parseInt(tx.expandMacros(seconds!), 10);
      if (Number.isFinite(n)) tx.expireVar(col!.toUpperCase(), tx.expandMacros(key!), n);
    });
  },
};
