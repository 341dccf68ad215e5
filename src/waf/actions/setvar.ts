import { WRITABLE_COLLECTIONS } from '../variables/registry.js';
import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: set, change or delete a collection variable. `=+N` / `=-N` add or subtract
 * (a missing or non-numeric value counts as 0, as in ModSecurity); `!` deletes; the name
 * and the value may hold macros.
 * Syntax: `setvar:[!]COLLECTION.NAME[=[+|-]VALUE]`
 * Example: `setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'`
 */
export const setvar: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule) {
    const text = requireValue('setvar', value.trim());
    const remove = text.startsWith('!');
    const body = remove ? text.slice(1) : text;
    const eq = body.indexOf('=');
    const target = (eq === -1 ? body : body.slice(0, eq)).trim();
    const dot = target.indexOf('.');
    if (dot <= 0 || dot === target.length - 1) throw new Error(`setvar needs COLLECTION.NAME, got "${text}"`);
    const collection = target.slice(0, dot).toUpperCase();
    if (!WRITABLE_COLLECTIONS.has(collection)) throw new Error(`setvar cannot write to collection ${collection}`);
    const keyTemplate = target.slice(dot + 1);
    const keyHasMacro = keyTemplate.includes('%{');
    const keyLower = keyHasMacro ? undefined : keyTemplate.toLowerCase();
    let operation: 'set' | 'add' | 'sub' = 'set';
    let valueTemplate = eq === -1 ? '1' : body.slice(eq + 1);
    if (valueTemplate.startsWith('+')) {
      operation = 'add';
      valueTemplate = valueTemplate.slice(1);
    } else if (valueTemplate.startsWith('-')) {
      operation = 'sub';
      valueTemplate = valueTemplate.slice(1);
    }
    const valueHasMacro = valueTemplate.includes('%{');
    rule.effects.push({
      kind: 'setvar',
      collection,
      key: keyTemplate,
      operation: remove ? 'remove' : operation,
      value: valueTemplate,
    });
    rule.actions.push((tx) => {
      const col = tx.collection(collection);
      if (!col) return;
      const key = keyHasMacro ? tx.expandMacros(keyTemplate) : keyTemplate;
      if (remove) {
        col.remove(key);
        return;
      }
      const v = valueHasMacro ? tx.expandMacros(valueTemplate) : valueTemplate;
      if (operation === 'set') {
        col.set(key, v, keyLower);
        return;
      }
      const current = toInt(col.get(key, keyLower));
      const delta = toInt(v);
      col.set(key, String(operation === 'add' ? current + delta : current - delta), keyLower);
    });
  },
};

/** How setvar reads a number: a missing or non-numeric value counts as 0 (ModSecurity). */
export function toInt(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number.parseInt(text, 10);
  return Number.isNaN(n) ? 0 : n;
}
