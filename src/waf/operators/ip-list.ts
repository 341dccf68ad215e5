import { BlockList, isIP } from 'node:net';
import type { Operator } from './types.js';

/** Builds the @ipMatch matcher from addresses and CIDR blocks, IPv4 and IPv6. */
export function ipListOperator(entries: readonly string[], operator: string): Operator {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) throw new Error(`${operator}: invalid IP address ${JSON.stringify(entry)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(address, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128))
      throw new Error(`${operator}: invalid prefix length in ${JSON.stringify(entry)}`);
    list.addSubnet(address, prefix, type);
  }
  return {
    evaluate(tx, input) {
      const family = isIP(input);
      if (family === 0) return false;
      const matched = list.check(input, family === 4 ? 'ipv4' : 'ipv6');
      if (matched) tx.setMatchedData(input);
      return matched;
    },
  };
}
