/**
 * Macro expansion: `%{tx.score}`, `%{MATCHED_VAR}`, `%{request_headers.host}`, `%{rule.id}`.
 * ModSecurity expands an unknown or empty variable to the empty string.
 */
export type MacroResolver = (variable: string, key: string | undefined) => string;

const MACRO = /%\{([^}]*)\}/g;

export function expandMacros(text: string, resolve: MacroResolver): string {
  if (!text.includes('%{')) return text;
  return text.replace(MACRO, (_all, inner: string) => {
    const dot = inner.search(/[.:]/);
    if (dot === -1) return resolve(inner.trim().toUpperCase(), undefined);
    return resolve(inner.slice(0, dot).trim().toUpperCase(), inner.slice(dot + 1));
  });
}
