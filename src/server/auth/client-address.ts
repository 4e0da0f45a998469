import ipaddr from "ipaddr.js";

/**
 * The part of a client address that per-address limits count against. An IPv6 client usually holds a whole
 * /64 and can pick any address in it, so it is keyed by that prefix; an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`, what a dual-stack socket reports) is the IPv4 client it stands for.
 */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === "ipv4") return addr.toString();
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${addr.toNormalizedString()}/64`).toNormalizedString()}/64`;
}

export type TrustedProxies = readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

/** `10.0.0.0/8, 192.168.1.10, fd00::/8` → ranges; an address alone is a range of one. Throws on anything else. */
export function parseTrustedProxies(list: string | undefined): TrustedProxies {
  if (!list) return [];
  return list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      if (entry.includes("/")) return ipaddr.parseCIDR(entry);
      const addr = ipaddr.process(entry);
      return [addr, addr.kind() === "ipv4" ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    });
}

function isTrusted(ip: string, trusted: TrustedProxies): boolean {
  if (!ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip);
  return trusted.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
}

/**
 * The client's address: the socket's peer, unless that peer is a configured trusted proxy, in which case the
 * `X-Forwarded-For` chain is walked from the right (the entry the nearest proxy appended) past every trusted
 * proxy to the first address that is not one. Entries a client wrote itself sit to the left of that and are
 * never reached. With no trusted proxy configured the header is ignored altogether.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string {
  let current = peer ?? "unknown";
  if (trusted.length === 0 || forwardedFor === undefined) return current;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor).split(",").map((s) => s.trim());
  while (isTrusted(current, trusted) && hops.length > 0) {
    const next = hops.pop()!;
    // A malformed hop breaks the chain: the last trusted proxy is the best we know.
    if (!ipaddr.isValid(next)) break;
    current = ipaddr.process(next).toString();
  }
  return current;
}
