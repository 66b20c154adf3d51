import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as lookupCallback } from 'node:dns';

/*
 * Where a webhook may point (docs/CONTRACT.md, "Webhooks"): https only unless WEBHOOK_ALLOW_HTTP,
 * and never at loopback, private, link-local, metadata or otherwise internal addresses unless its
 * host is in WEBHOOK_ALLOWED_HOSTS. Checked when a webhook is created or changed (400) and again
 * at every delivery, on the addresses the connection actually uses (a DNS answer that changed to
 * an internal address is refused then).
 */

/** Addresses a webhook must not reach. */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64
  ['fc00::', 7], // unique local (fd00:ec2::254, the AWS metadata address, among them)
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** Whether an address is internal (an IPv4-mapped IPv6 address counts as its IPv4 one). */
export function isInternal(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface UrlPolicy {
  allowHttp: boolean;
  /** Hosts (lowercase names or addresses) allowed although internal. */
  allowedHosts: string[];
}

/** Why `raw` may not be a webhook URL, or null when it may (after resolving its host). */
export async function refuseUrl(raw: string, policy: UrlPolicy): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return policy.allowHttp ? 'url must be http or https' : 'url must be https (WEBHOOK_ALLOW_HTTP is off)';
  }
  if (url.username || url.password) return 'url must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (policy.allowedHosts.includes(host)) return null;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return `url's host '${host}' does not resolve`;
  }
  const internal = addresses.find(isInternal);
  return internal === undefined
    ? null
    : `url's host '${host}' resolves to an internal address (${internal}); list it in WEBHOOK_ALLOWED_HOSTS to allow it`;
}

/**
 * A DNS lookup for the delivering connection that refuses internal addresses (unless the host is
 * allowed), so the address checked is the address connected to.
 */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const allowed = policy.allowedHosts.includes(hostname.toLowerCase());
      const usable = allowed ? list : list.filter((a) => !isInternal(a.address));
      if (usable.length === 0) {
        return callback(
          Object.assign(new Error(`${hostname} resolves only to internal addresses`), { code: 'EINTERNAL' }),
          '',
          0,
        );
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: typeof list) => void)(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  };
}
