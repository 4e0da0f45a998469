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
