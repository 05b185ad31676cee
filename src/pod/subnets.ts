import { readFile } from 'node:fs/promises';

/**
 * Choosing the cluster network's subnet. The engine refuses a subnet that overlaps one of its own
 * networks, but not one that overlaps a route of its host: another engine's bridge (a second
 * dockerd, Podman), a VPN, the uplink. Such an overlap is silent and breaks traffic to one side
 * or the other, so the host's routes are checked here before anything is created.
 */

/** An IPv4 range in use, and who uses it (for the message). */
export interface TakenRange { cidr: string; owner: string }

interface Range { base: number; bits: number }

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** `a.b.c.d/n` as a number and a prefix length; undefined for IPv6 or anything malformed. */
export function parseCidr(text: string): Range | undefined {
  const m = CIDR.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base: bits === 0 ? 0 : ip - (ip % 2 ** (32 - bits)), bits };
}

function overlaps(a: Range, b: Range): boolean {
  const bits = Math.min(a.bits, b.bits);
  const size = 2 ** (32 - bits);
  return Math.floor(a.base / size) === Math.floor(b.base / size);
}

/** Whatever in `taken` overlaps `cidr`. */
export function overlapping(cidr: string, taken: readonly TakenRange[]): TakenRange[] {
  const range = parseCidr(cidr);
  if (!range) return [];
  return taken.filter((t) => {
    const other = parseCidr(t.cidr);
    return other !== undefined && overlaps(range, other);
  });
}

/**
 * The /16s tried in order when no subnet is given: 10.211.0.0/16 first (what earlier releases
 * always used, so an existing cluster keeps its addresses), then upwards.
 */
export const CANDIDATE_SUBNETS: readonly string[] = Array.from({ length: 44 }, (_, i) => `10.${211 + i}.0.0/16`);

/** Candidates in order with those overlapping a taken range left out. */
export function freeCandidates(taken: readonly TakenRange[], candidates: readonly string[] = CANDIDATE_SUBNETS): string[] {
  return candidates.filter((c) => overlapping(c, taken).length === 0);
}

export function describeTaken(ranges: readonly TakenRange[]): string {
  return ranges.map((t) => `${t.cidr} (${t.owner})`).join(', ');
}

/**
 * Routes of this machine's main table from /proc/net/route's text: each destination with its
 * interface. The default route is left out (it covers everything and says nothing about use);
 * `unreachable` routes (interface `*`) are kept: a test bed reserves its ranges with them.
 */
export function parseRouteTable(text: string): TakenRange[] {
  const ranges: TakenRange[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [iface, dest, , , , , , mask] = line.trim().split(/\s+/);
    if (!iface || !dest || !mask || !/^[0-9A-Fa-f]{8}$/.test(dest) || !/^[0-9A-Fa-f]{8}$/.test(mask)) continue;
    // Little-endian hex, as the kernel prints it.
    const toIp = (hex: string) => [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
    const maskOctets = toIp(mask);
    const bits = maskOctets.reduce((n, o) => n + o.toString(2).replace(/0/g, '').length, 0);
    if (bits === 0) continue;
    ranges.push({ cidr: `${toIp(dest).join('.')}/${bits}`, owner: iface === '*' ? 'an unreachable route of this host' : `a route of this host via ${iface}` });
  }
  return ranges;
}

/** This machine's IPv4 routes; none where /proc/net/route cannot be read (not Linux). */
export async function hostRoutes(): Promise<TakenRange[]> {
  try {
    return parseRouteTable(await readFile('/proc/net/route', 'utf8'));
  } catch {
    return [];
  }
}

/**
 * Whether an engine at `address` (a socket path, or host:port) runs on this machine, so that this
 * machine's routes are its host's routes. A remote engine's host is not ours to read.
 */
export function engineIsLocal(address: string): boolean {
  if (address.startsWith('/')) return true;
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
