import { type ActionDefinition, parseInteger } from './types.js';

/**
 * Description: the HTTP status a deny or redirect answers with.
 * Syntax: `status:N`
 * Example: `deny,status:403`
 */
export const status: ActionDefinition = {
  kind: 'data',
  apply(value, rule) {
    const n = parseInteger('status', value);
    if (n < 100 || n > 599) throw new Error(`invalid status ${n}`);
    rule.status = n;
  },
};
