import { BlockList, isIP } from 'node:net';
import type { Operator } from './types.js';

/** Builds the @ipMatch matcher from addresses and CIDR blocks, IPv4 and IPv6. */
export function ipListOperator(entries: readonly string[], operator: string): Operator {
  const list = new BlockList();
  // IPv4 entries again as [network, mask] pairs: BlockList.check builds a SocketAddress per call,
  // which costs more than the rest of a CRS rule (905110 runs on every request).
  const v4: [number, number][] = [];
  let hasV6 = false;
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    if (family === 0) throw new Error(`${operator}: invalid IP address ${JSON.stringify(entry)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (family === 6) hasV6 = true;
    if (slash === -1) {
      list.addAddress(address, type);
      if (family === 4) v4.push([ipv4ToInt(address), 0xffffffff]);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === 4 ? 32 : 128))
      throw new Error(`${operator}: invalid prefix length in ${JSON.stringify(entry)}`);
    list.addSubnet(address, prefix, type);
    if (family === 4) {
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      v4.push([(ipv4ToInt(address) & mask) >>> 0, mask]);
    }
  }
  return {
    evaluate(tx, input) {
      const family = isIP(input);
      if (family === 0) return false;
      // An IPv6 entry may cover IPv4 addresses (mapped forms): BlockList decides those.
      const matched =
        family === 4 ? inV4(ipv4ToInt(input), v4) || (hasV6 && list.check(input, 'ipv4')) : list.check(input, 'ipv6');
      if (matched) tx.setMatchedData(input);
      return matched;
    },
  };
}

/** A dotted quad isIP accepted, as an unsigned 32-bit number. */
function ipv4ToInt(address: string): number {
  let value = 0;
  for (const part of address.split('.')) value = value * 256 + Number(part);
  return value >>> 0;
}

function inV4(address: number, ranges: readonly [number, number][]): boolean {
  for (const [network, mask] of ranges) if ((address & mask) >>> 0 === network) return true;
  return false;
}
