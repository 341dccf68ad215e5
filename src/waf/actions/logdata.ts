import type { ActionDefinition } from './types.js';

/**
 * Description: extra data logged with the match; macros are expanded.
 * Syntax: `logdata:'TEXT'`
 * Example: `logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}'`
 */
export const logdata: ActionDefinition = {
  kind: 'metadata',
  apply(value, rule) {
    rule.logdata = value;
  },
};
