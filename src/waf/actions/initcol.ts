import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: open a persistent collection (IP, GLOBAL, SESSION, USER, RESOURCE) under a key.
 * Collections live in the gateway process and expire after SecCollectionTimeout.
 * Syntax: `initcol:COLLECTION=KEY`
 * Example: `initcol:ip=%{REMOTE_ADDR}`
 */
export const initcol: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule) {
    const text = requireValue('initcol', value.trim());
    const eq = text.indexOf('=');
    if (eq <= 0) throw new Error(`initcol needs COLLECTION=KEY, got "${text}"`);
    const name = text.slice(0, eq).trim().toUpperCase();
    if (!['IP', 'GLOBAL', 'SESSION', 'USER', 'RESOURCE'].includes(name))
      throw new Error(`initcol cannot open collection ${name}`);
    const key = text.slice(eq + 1);
    rule.effects.push({ kind: 'collection', collection: name });
    rule.actions.push((tx) => tx.initCollection(name, tx.expandMacros(key)));
  },
};
