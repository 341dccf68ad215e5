/** One `name:value` entry of a SecLang action list. */
export interface ActionItem {
  /** Lower-case action name. */
  readonly name: string;
  /** Value with surrounding single quotes removed ('' when the action has none). */
  readonly value: string;
}

/**
 * Splits an action list: `id:1,phase:2,msg:'a, b',t:none`.
 *
 * Commas inside single quotes do not split, and a backslash protects the next character
 * (ModSecurity: `msg:'it\'s'`). The value's quotes are removed; backslashes are kept except
 * before a single quote, so regex-like values reach actions unchanged.
 */
export function parseActionList(text: string): ActionItem[] {
  const out: ActionItem[] = [];
  let start = 0;
  let inQuote = false;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      i++;
      continue;
    }
    if (c === "'") {
      inQuote = !inQuote;
      continue;
    }
    if ((c === ',' && !inQuote) || i === text.length) {
      const item = text.slice(start, i).trim();
      start = i + 1;
      if (item === '') continue;
      out.push(splitAction(item));
    }
  }
  if (inQuote) throw new Error('unclosed single quote in the action list');
  return out;
}

function splitAction(item: string): ActionItem {
  const colon = item.indexOf(':');
  if (colon === -1) return { name: item.toLowerCase(), value: '' };
  const name = item.slice(0, colon).trim().toLowerCase();
  let value = item.slice(colon + 1).trim();
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) value = value.slice(1, -1);
  return { name, value: value.includes("\\'") ? value.replaceAll("\\'", "'") : value };
}
