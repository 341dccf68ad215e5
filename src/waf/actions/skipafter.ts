import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: on match, skip rules up to and including the SecMarker (or rule id) named.
 * Syntax: `skipAfter:MARKER`
 * Example: `skipAfter:END-REQUEST-942-APPLICATION-ATTACK-SQLI`
 */
export const skipAfter: ActionDefinition = {
  kind: 'flow',
  apply(value, rule) {
    rule.skipAfter = requireValue('skipAfter', value.trim());
  },
};
