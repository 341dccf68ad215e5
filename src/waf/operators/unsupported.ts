import type { OperatorFactory } from './types.js';

/**
 * Operators ModSecurity has that Portcullis refuses at load time, each with the reason: a rule
 * using one fails to load with that plain sentence instead of "unknown operator".
 */
export const UNSUPPORTED: ReadonlyArray<readonly [string, string]> = [
  ['geoLookup', 'needs a GeoIP database, which Portcullis does not load'],
  ['rbl', 'would make a DNS query per request'],
  ['gsbLookup', 'Google Safe Browsing lookups are not available'],
  ['inspectFile', 'would run an external program per request'],
  ['fuzzyHash', 'ssdeep fuzzy hashing is not available'],
  ['validateDTD', 'XML DTD validation is not available'],
  ['validateSchema', 'XML Schema validation is not available'],
  ['rsub', 'is deprecated in ModSecurity and not available'],
];

export function unsupportedOperator(name: string, reason: string): OperatorFactory {
  return () => {
    throw new Error(`operator @${name} is not supported: it ${reason}`);
  };
}
