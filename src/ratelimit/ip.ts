import { BlockList, isIP } from 'node:net';

export interface ParsedIp {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * Parses an address as the socket reports it. IPv4-mapped IPv6 (::ffff:a.b.c.d, what a
 * dual-stack listener reports for IPv4 peers) becomes the IPv4 address, so one client never
 * has two identities; an IPv6 zone (%eth0) is dropped.
 */
export function parseIp(text: string): ParsedIp | undefined {
  const zone = text.indexOf('%');
  const address = zone >= 0 ? text.slice(0, zone) : text;
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return parseIp(mapped[1]!);
  const family = isIP(address);
  if (family === 4) return { family: 4, bytes: Uint8Array.from(address.split('.'), Number) };
  if (family === 6) return { family: 6, bytes: expandV6(address) };
  return undefined;
}

function expandV6(address: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let text = address;
  // RFC 4291 §2.2 (3): trailing dotted IPv4 occupies the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: number[] | undefined;
  if (tail.includes('.')) {
    v4 = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? headGroups
      : [...headGroups, ...new Array<string>(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (v4) bytes.set(v4, 12);
  return bytes;
}

function formatV6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    out[i] = out[i]! & (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

export interface AggregationOptions {
  /** Prefix length IPv4 clients are grouped by (32 = one address). */
  readonly ipv4Prefix: number;
  /**
   * Prefix length IPv6 clients are grouped by. 64 by default: a single subscriber usually gets
   * a whole /64 (RFC 6177), so per-address keys would let one client rotate through 2^64 buckets.
   */
  readonly ipv6Prefix: number;
}

export const DEFAULT_AGGREGATION: AggregationOptions = { ipv4Prefix: 32, ipv6Prefix: 64 };

/**
 * The identity of a client address for limits and bans: the address itself for IPv4 (by
 * default), its network in CIDR form when aggregated ("2001:db8:1:2::/64"). Undefined for
 * text that is not an address.
 */
export function ipKey(address: string, options: AggregationOptions = DEFAULT_AGGREGATION): string | undefined {
  const parsed = parseIp(address);
  if (!parsed) return undefined;
  if (parsed.family === 4) {
    if (options.ipv4Prefix >= 32) return parsed.bytes.join('.');
    return `${maskBytes(parsed.bytes, options.ipv4Prefix).join('.')}/${options.ipv4Prefix}`;
  }
  if (options.ipv6Prefix >= 128) return formatV6(parsed.bytes);
  return `${formatV6(maskBytes(parsed.bytes, options.ipv6Prefix))}/${options.ipv6Prefix}`;
}

/** A CIDR ("10.0.0.0/8", "2001:db8::/32") or a single address; undefined when malformed. */
export function parseCidr(text: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text.trim() : text.slice(0, slash).trim();
  const parsed = parseIp(address);
  if (!parsed || address.includes('%')) return undefined;
  const max = parsed.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const digits = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(digits)) return undefined;
    prefix = Number(digits);
    if (prefix > max) return undefined;
  }
  const canonical = parsed.family === 4 ? parsed.bytes.join('.') : formatV6(parsed.bytes);
  return { address: canonical, prefix, family: parsed.family };
}

/** A set of networks, matched against client addresses (IPv4-mapped IPv6 counts as IPv4). */
export class CidrSet {
  readonly #list = new BlockList();
  #size = 0;

  /** Returns false for a malformed entry, so the caller can report its key path. */
  add(cidr: string): boolean {
    const parsed = parseCidr(cidr);
    if (!parsed) return false;
    this.#list.addSubnet(parsed.address, parsed.prefix, parsed.family === 4 ? 'ipv4' : 'ipv6');
    this.#size++;
    return true;
  }

  get size(): number {
    return this.#size;
  }

  has(address: string): boolean {
    if (this.#size === 0) return false;
    const parsed = parseIp(address);
    if (!parsed) return false;
    return parsed.family === 4
      ? this.#list.check(parsed.bytes.join('.'), 'ipv4')
      : this.#list.check(formatV6(parsed.bytes), 'ipv6');
  }
}
