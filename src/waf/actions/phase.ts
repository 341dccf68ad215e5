import type { RulePhase } from '../engine/types.js';
import type { ActionDefinition } from './types.js';

const NAMED: Record<string, RulePhase> = { request: 2, response: 4, logging: 5 };

/**
 * Description: the processing phase the rule runs in (1-5, or request/response/logging).
 * Syntax: `phase:N`
 * Example: `phase:2`
 */
export const phase: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    const v = value.trim().toLowerCase();
    const named = NAMED[v];
    if (named) {
      rule.phase = named;
      return;
    }
    if (!/^[1-5]$/.test(v)) throw new Error(`invalid phase "${value}"`);
    rule.phase = Number(v) as RulePhase;
  },
};
