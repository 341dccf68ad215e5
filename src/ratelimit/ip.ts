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
  // Every request with an address limit asks this: plain and IPv4-mapped IPv4 skip the
  // general parser (no regular expression, no byte array, no join).
  const start = address.startsWith('::ffff:') ? 7 : 0;
  const v4 = dottedQuad(address, start);
  if (v4 >= 0) {
    if (options.ipv4Prefix >= 32) return start === 0 ? address : address.slice(start);
    const masked = options.ipv4Prefix <= 0 ? 0 : (v4 & (-1 << (32 - options.ipv4Prefix))) >>> 0;
    return `${masked >>> 24}.${(masked >>> 16) & 0xff}.${(masked >>> 8) & 0xff}.${masked & 0xff}/${options.ipv4Prefix}`;
  }
  return ipKeySlow(address, options);
}

/**
 * A canonical dotted-quad IPv4 address from `start` to the end of `text` (four decimal octets
 * 0-255 without leading zeros: exactly what node:net isIP accepts, and what the general path
 * would print back) as an unsigned 32-bit number; -1 for anything else, which then takes the
 * general path.
 */
function dottedQuad(text: string, start: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && octet === 0) return -1;
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 0x2e && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : -1;
}

/** ipKey through the general parser: IPv6, zones, mixed-case mapped prefixes. */
export function ipKeySlow(address: string, options: AggregationOptions = DEFAULT_AGGREGATION): string | undefined {
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
