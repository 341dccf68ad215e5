/**
 * Macro expansion: `%{tx.score}`, `%{MATCHED_VAR}`, `%{request_headers.host}`, `%{rule.id}`.
 * ModSecurity expands an unknown or empty variable to the empty string.
 */
export type MacroResolver = (variable: string, key: string | undefined, keyLower: string | undefined) => string;

const MACRO = /%\{([^}]*)\}/g;

/** A text split once into literal runs and macro references: [literal, variable, key, literal, ...]. */
interface CompiledText {
  readonly literals: readonly string[];
  readonly variables: readonly string[];
  readonly keys: readonly (string | undefined)[];
  /** The keys lower-cased once: collection lookups are case-insensitive. */
  readonly keysLower: readonly (string | undefined)[];
}

/**
 * Texts come from rules (msg, logdata, setvar, operator arguments), so the set is bounded by the
 * rule set; the cap only guards against a caller that expands request data.
 */
const compiled = new Map<string, CompiledText>();
const COMPILED_LIMIT = 4096;

function compile(text: string): CompiledText {
  const literals: string[] = [];
  const variables: string[] = [];
  const keys: (string | undefined)[] = [];
  let last = 0;
  for (const m of text.matchAll(MACRO)) {
    literals.push(text.slice(last, m.index));
    const inner = m[1]!;
    const dot = inner.search(/[.:]/);
    if (dot === -1) {
      variables.push(inner.trim().toUpperCase());
      keys.push(undefined);
    } else {
      variables.push(inner.slice(0, dot).trim().toUpperCase());
      keys.push(inner.slice(dot + 1));
    }
    last = m.index + m[0].length;
  }
  literals.push(text.slice(last));
  return { literals, variables, keys, keysLower: keys.map((k) => k?.toLowerCase()) };
}

export function expandMacros(text: string, resolve: MacroResolver): string {
  if (!text.includes('%{')) return text;
  let parts = compiled.get(text);
  if (parts === undefined) {
    parts = compile(text);
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(text, parts);
  }
  const { literals, variables, keys, keysLower } = parts;
  let out = literals[0]!;
  for (let i = 0; i < variables.length; i++) out += resolve(variables[i]!, keys[i], keysLower[i]) + literals[i + 1]!;
  return out;
}
