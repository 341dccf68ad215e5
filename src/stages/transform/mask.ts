/**
 * Data-leak prevention on JSON answers: members removed or masked by name anywhere in the
 * document, and payment card numbers masked wherever they appear (PCI DSS 4.0 req. 3.4.1: show at
 * most the last four digits). The walk is iterative so a deeply nested answer cannot overflow the
 * stack.
 */

export interface MaskRules {
  /** Lower-case member names to remove. */
  readonly removeKeys: ReadonlySet<string>;
  /** Lower-case member names whose value becomes `mask`. */
  readonly maskKeys: ReadonlySet<string>;
  readonly maskCards: boolean;
  readonly mask: string;
}

/** ISO/IEC 7812 check digit (Luhn). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// 13 to 19 digits (ISO/IEC 7812 PAN lengths), optionally grouped by single spaces or dashes.
const CARD_CANDIDATE = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;

/** Masks every Luhn-valid card number in the text, keeping separators and the last four digits. */
export function maskCardNumbers(text: string): string {
  if (text.length < 13) return text;
  return text.replace(CARD_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '');
    if (!luhnValid(digits)) return match;
    let keep = 4;
    let out = '';
    for (let i = match.length - 1; i >= 0; i--) {
      const c = match[i]!;
      if (c === ' ' || c === '-') out = c + out;
      else if (keep > 0) {
        out = c + out;
        keep--;
      } else out = `*${out}`;
    }
    return out;
  });
}

/** Applies the rules in place where possible; returns the (possibly new) root and how many values changed. */
export function maskDocument(doc: unknown, rules: MaskRules): { value: unknown; changed: number } {
  let changed = 0;
  const scalar = (value: unknown): unknown => {
    if (!rules.maskCards) return value;
    if (typeof value === 'string') {
      const masked = maskCardNumbers(value);
      if (masked !== value) changed++;
      return masked;
    }
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) {
      const digits = String(value);
      if (digits.length >= 13 && luhnValid(digits)) {
        changed++;
        return maskCardNumbers(digits);
      }
    }
    return value;
  };
  if (doc === null || typeof doc !== 'object') {
    const value = scalar(doc);
    return { value, changed };
  }
  const stack: object[] = [doc];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = node[i];
        if (item !== null && typeof item === 'object') stack.push(item);
        else node[i] = scalar(item);
      }
      continue;
    }
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const lower = key.toLowerCase();
      if (rules.removeKeys.has(lower)) {
        delete obj[key];
        changed++;
      } else if (rules.maskKeys.has(lower)) {
        setOwn(obj, key, rules.mask);
        changed++;
      } else {
        const value = obj[key];
        if (value !== null && typeof value === 'object') stack.push(value);
        else {
          const next = scalar(value);
          if (next !== value) setOwn(obj, key, next);
        }
      }
    }
  }
  return { value: doc, changed };
}

// JSON.parse makes "__proto__" an own member; plain assignment to it would set the prototype.
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}
