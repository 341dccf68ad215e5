import { type ActionDefinition, requireValue } from './types.js';

/**
 * Description: declare an XML namespace prefix for XPath targets. Accepted for
 * compatibility; the XPath subset this engine supports ignores prefixes.
 * Syntax: `xmlns:PREFIX=URI`
 * Example: `xmlns:soap=http://schemas.xmlsoap.org/soap/envelope/`
 */
export const xmlns: ActionDefinition = {
  kind: 'data',
  apply(value) {
    requireValue('xmlns', value);
  },
};
