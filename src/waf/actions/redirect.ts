import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: answer with a redirect to the URL given (status 302 unless `status:` sets a 3xx).
 * Syntax: `redirect:URL`
 * Example: `redirect:https://example.com/blocked`
 */
export const redirect: ActionDefinition = {
  kind: 'disruptive',
  apply(value, rule) {
    rule.disruptive = { kind: 'redirect', argument: requireValue('redirect', value) };
  },
};
