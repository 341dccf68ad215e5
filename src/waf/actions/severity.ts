import type { ActionDefinition } from './types.js';

// ModSecurity reference manual, "severity": syslog levels, by number or name.
const NAMES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

/**
 * Description: the severity of the match, 0 (EMERGENCY) to 7 (DEBUG).
 * Syntax: `severity:NAME|N`
 * Example: `severity:'CRITICAL'`
 */
export const severity: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    const v = value.trim().toUpperCase();
    const byName = NAMES.indexOf(v);
    if (byName !== -1) rule.severity = byName;
    else if (/^[0-7]$/.test(v)) rule.severity = Number(v);
    else throw new Error(`invalid severity "${value}"`);
  },
};

export function severityName(level: number | undefined): string {
  return level === undefined ? '' : (NAMES[level] ?? String(level));
}
