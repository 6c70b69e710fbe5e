import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent } from 'node:https';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';

/**
 * Where web push may send: a push subscription's endpoint is a URL its browser gives, so without
 * a check anyone signed in could make the server POST to an address inside its own network.
 * An endpoint must be `https:` and its host must resolve to public addresses only; the check runs
 * at registration (`checkPushEndpoint`) and again in every connection's own DNS lookup
 * (`createPushAgent`), so a name that resolves publicly at registration and privately later (DNS
 * rebinding) still cannot reach an internal address. `allowPrivate`
 * (TIDINGS_PUSH_ALLOW_PRIVATE_ENDPOINTS=1, for tests with a push service on loopback) lifts the
 * address check; https stays required.
 */

/** The longest endpoint a subscription may have. */
export const maxEndpointLength = 2_048;

/** A push endpoint's host resolved to an address that is not public. */
export class PrivateAddressError extends Error {
  readonly code = 'EPUSHPRIVATE';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} resolves to ${address}, which is not a public address`);
  }
}

/**
 * Whether an IP address (v4 or v6, brackets and a zone allowed) is public unicast: not loopback,
 * private, shared (CGNAT), link-local, unique-local, multicast, documentation, benchmarking,
 * reserved or unspecified, nor one of those embedded in IPv6 (IPv4-mapped, IPv4-compatible,
 * NAT64, 6to4). Anything that does not parse is not public.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return isPublicV4(v4Bytes(bare));
  if (family === 6) return isPublicV6(v6Bytes(bare));
  return false;
}

/** IPv4 ranges that are not public, as [first octets, prefix length]. */
const privateV4: [number[], number][] = [
  [[0], 8], // "this network", 0.0.0.0
  [[10], 8], // private
  [[100, 64], 10], // shared address space (CGNAT)
  [[127], 8], // loopback
  [[169, 254], 16], // link-local
  [[172, 16], 12], // private
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // TEST-NET-1
  [[192, 88, 99], 24], // 6to4 relay anycast (deprecated)
  [[192, 168], 16], // private
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24], // TEST-NET-2
  [[203, 0, 113], 24], // TEST-NET-3
  [[224], 4], // multicast
  [[240], 4], // reserved, and 255.255.255.255
];

function isPublicV4(bytes: number[]): boolean {
  return !privateV4.some(([prefix, bits]) => matches(bytes, prefix, bits));
}

/** IPv6 ranges inside global unicast (2000::/3) that are not public, as [first bytes, prefix length]. */
const privateV6: [number[], number][] = [
  [[0x20, 0x01, 0x00], 23], // IETF protocol assignments: Teredo, benchmarking, ORCHID…
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0x3f, 0xff], 20], // documentation
];

function isPublicV6(bytes: number[]): boolean {
  const embeddedV4 = bytes.slice(12);
  // IPv4-mapped ::ffff:0:0/96 and NAT64's well-known 64:ff9b::/96: the IPv4 address decides.
  if (matches(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96)) return isPublicV4(embeddedV4);
  if (matches(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return isPublicV4(embeddedV4);
  // 6to4 2002::/16 carries an IPv4 address in its next 32 bits.
  if (matches(bytes, [0x20, 0x02], 16)) return isPublicV4(bytes.slice(2, 6));
  // Only global unicast is public: this leaves out ::, ::1, IPv4-compatible ::/96, 100::/64,
  // 64:ff9b:1::/48, unique-local fc00::/7, link-local fe80::/10, site-local fec0::/10, multicast ff00::/8.
  if (!matches(bytes, [0x20], 3)) return false;
  return !privateV6.some(([prefix, bits]) => matches(bytes, prefix, bits));
}

/** Whether the first `bits` bits of `bytes` are those of `prefix`. */
function matches(bytes: number[], prefix: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const left = Math.min(8, bits - bit);
    const mask = (0xff << (8 - left)) & 0xff;
    const i = bit / 8;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function v4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address `isIP` accepted (with `::` and a trailing dotted quad). */
function v6Bytes(address: string): number[] {
  // A trailing dotted quad (::ffff:127.0.0.1) is two groups written another way.
  const text = address
    .toLowerCase()
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_match, a: string, b: string, c: string, d: string) =>
      [((Number(a) << 8) | Number(b)).toString(16), ((Number(c) << 8) | Number(d)).toString(16)].join(':'),
    );
  const [head = '', tail] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all =
    tail === undefined
      ? left
      : [...left, ...Array.from({ length: 8 - left.length - right.length }, () => '0'), ...right];
  return all.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

export interface EndpointCheckOptions {
  allowPrivate: boolean;
  /** How long the registration's DNS lookup may take. */
  lookupTimeoutMs?: number;
}

/**
 * Why `endpoint` may not be a push subscription's endpoint, or null when it may: an absolute
 * `https:` URL without credentials, at most 2,048 characters, whose host is a public address or
 * resolves only to public addresses (unless `allowPrivate`).
 */
export async function checkPushEndpoint(endpoint: string, options: EndpointCheckOptions): Promise<string | null> {
  if (endpoint.length > maxEndpointLength) return `must be at most ${maxEndpointLength} characters.`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an absolute https:// URL.';
  }
  if (url.protocol !== 'https:') return 'must be an https:// URL.';
  if (url.username || url.password) return 'must not carry a user name or password.';
  if (options.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isPublicAddress(host) ? null : 'must not point at a private, loopback or reserved address.';
  let addresses: LookupAddress[];
  try {
    addresses = await withTimeout(resolveAll(host), options.lookupTimeoutMs ?? 5_000);
  } catch {
    return `its host ${host} could not be resolved.`;
  }
  if (addresses.length === 0) return `its host ${host} could not be resolved.`;
  return addresses.every((entry) => isPublicAddress(entry.address))
    ? null
    : 'must not point at a private, loopback or reserved address.';
}

/**
 * Whether the server may connect to the endpoint's host as it is written: an IP literal is never
 * looked up (Node connects to it directly), so the agent's lookup cannot check it.
 */
export function literalHostAllowed(endpoint: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return true;
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  return !isIP(host) || isPublicAddress(host);
}

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup for connections that refuses a host with any non-public address among its
 * answers: the connection fails with PrivateAddressError instead of reaching it.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, []);
      return;
    }
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused || addresses.length === 0) {
      callback(new PrivateAddressError(hostname, refused?.address ?? 'nothing'), []);
      return;
    }
    if (options.all) callback(null, addresses);
    else callback(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family);
  });
}

export interface PushAgentOptions {
  allowPrivate: boolean;
  /** An extra certificate authority to trust besides the system's (tests: their push service's own). */
  ca?: string | null;
}

/** The HTTPS agent every push request goes through: its lookup refuses private addresses (unless allowed). */
export function createPushAgent({ allowPrivate, ca }: PushAgentOptions): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: 64,
    ...(allowPrivate ? {} : { lookup: publicOnlyLookup as never }),
    ...(ca ? { ca: [...rootCertificates, ca] } : {}),
  });
}
