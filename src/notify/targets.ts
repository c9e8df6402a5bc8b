// Where webhooks may be sent. A webhook URL is chosen by whoever holds an admin key, and the daemon
// posts to it from inside the utility's network: without a guard it reaches what the public cannot
// (a cloud's metadata service at 169.254.169.254, a database on 10.x, the daemon's own API on
// 127.0.0.1). Only public unicast addresses are allowed, and those in webhooks.allowedNetworks;
// the daemon's own listeners never.
//
// The check runs at creation and again at every delivery, on every address the host name resolves
// to, inside the connection's own DNS lookup: a name that resolved to a public address when the
// webhook was created and to 127.0.0.1 now (DNS rebinding) is refused, and the address checked is
// the address connected to.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';
import { ConfigError } from '../config/load.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** ipaddr.js's ranges (IANA special-purpose registries, RFC 6890) in words; every one but 'unicast' is refused. */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback', private: 'a private', uniqueLocal: 'a private (unique local)', linkLocal: 'a link-local',
  unspecified: 'an unspecified', multicast: 'a multicast', broadcast: 'a broadcast', carrierGradeNat: 'a shared (carrier-grade NAT)',
};

/** A listener of this daemon: webhooks may never target it. */
export interface OwnEndpoint {
  /** the address it is bound to ('0.0.0.0' / '::' for all) */
  address: string;
  port: number;
}

export class WebhookTargetRefused extends Error {
  readonly code = 'WEBHOOK_TARGET_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetRefused';
  }
}

/** The default port of a URL's scheme when it names none. */
function portOf(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** "[::1]" → "::1"; a host name stays as it is. */
function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

export class WebhookTargets {
  private readonly allowed: Array<[Address, number]>;

  /**
   * @param allowedNetworks webhooks.allowedNetworks: addresses or CIDRs allowed although not public
   * @param ownEndpoints the daemon's listeners, read at each check (ports are known once listening)
   */
  constructor(allowedNetworks: readonly string[], private readonly ownEndpoints: () => OwnEndpoint[] = () => [],
    private readonly lookupTimeoutMs = 5000) {
    this.allowed = allowedNetworks.map((n, i) => {
      try {
        if (n.includes('/')) return ipaddr.parseCIDR(n);
        const a = ipaddr.parse(n);
        return [a, a.kind() === 'ipv4' ? 32 : 128] as [Address, number];
      } catch {
        throw new ConfigError(`configuration key "webhooks.allowedNetworks.${i}": "${n}" is not an address or CIDR (e.g. "10.20.0.0/16")`, `webhooks.allowedNetworks.${i}`);
      }
    });
  }

  /** What an address is when it may not be targeted on `port` ("a loopback address"), or null when it may. */
  refusal(address: string, port: number): string | null {
    let a: Address;
    try {
      a = ipaddr.process(address); // an IPv4-mapped IPv6 address is judged as the IPv4 it carries
    } catch {
      return 'not an IP address';
    }
    if (this.isOwn(a, port)) return `this daemon's own listener (port ${port})`;
    const range = a.range();
    if (range === 'unicast') return null;
    if (this.allowed.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits))) return null;
    return `${RANGE_NAMES[range] ?? `a reserved (${range})`} address`;
  }

  /** The message of a refusal: "localhost resolves to ::1, a loopback address; …". */
  private static explain(host: string, address: string, why: string): string {
    const subject = host === address ? `${address} is` : `${host} resolves to ${address},`;
    return why.startsWith('this daemon')
      ? `${subject} ${why}: webhooks never target the daemon itself`
      : `${subject} ${why}: webhooks may target it only when webhooks.allowedNetworks includes it`;
  }

  /** Whether address:port is one of this daemon's listeners. */
  private isOwn(a: Address, port: number): boolean {
    const own = this.ownEndpoints().filter((e) => e.port === port);
    if (own.length === 0) return false;
    if (a.range() === 'loopback' || a.range() === 'unspecified') return true;
    const local = new Set<string>();
    for (const i of Object.values(networkInterfaces()).flat()) {
      if (i && ipaddr.isValid(i.address)) local.add(ipaddr.process(i.address).toNormalizedString());
    }
    const normal = a.toNormalizedString();
    return own.some((e) => {
      const bound = ipaddr.process(e.address);
      return bound.range() === 'unspecified' ? local.has(normal) : bound.toNormalizedString() === normal;
    });
  }

  /**
   * Refuses (400, naming the address) a URL whose host is, or resolves to, an address it may not
   * target. Used when a webhook is created.
   */
  async check(urlText: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(urlText);
    } catch {
      throw new AppError('VALIDATION', `url "${urlText}" is not a URL`, { field: 'url' });
    }
    const host = bareHost(url);
    const port = portOf(url);
    let addresses: string[];
    if (ipaddr.isValid(host)) {
      addresses = [host];
    } else {
      try {
        addresses = (await this.resolve(host)).map((r) => r.address);
      } catch (err) {
        throw new AppError('VALIDATION', `url: host ${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { field: 'url' });
      }
    }
    for (const address of addresses) {
      const why = this.refusal(address, port);
      if (why) throw new AppError('VALIDATION', `url: ${WebhookTargets.explain(host, address, why)}`, { field: 'url', address });
    }
  }

  /** Throws WebhookTargetRefused when a literal address in the URL may not be targeted (no lookup runs for it). */
  checkLiteral(url: URL): void {
    const host = bareHost(url);
    if (!ipaddr.isValid(host)) return;
    const why = this.refusal(host, portOf(url));
    if (why) throw new WebhookTargetRefused(WebhookTargets.explain(host, host, why));
  }

  /**
   * A `lookup` for http.request to `url`'s port: resolves like dns.lookup, and fails the connection
   * when any address the name resolves to may not be targeted.
   */
  lookupFor(url: URL): (hostname: string, options: object, callback: (err: Error | null, address?: string | LookupAddress[], family?: number) => void) => void {
    const port = portOf(url);
    return (hostname, options, callback) => {
      const all = (options as { all?: boolean }).all === true;
      this.resolve(hostname, options).then((addresses) => {
        for (const r of addresses) {
          const why = this.refusal(r.address, port);
          if (why) throw new WebhookTargetRefused(WebhookTargets.explain(hostname, r.address, why));
        }
        if (addresses.length === 0) throw new WebhookTargetRefused(`${hostname} resolves to no address`);
        if (all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      }).catch((err: Error) => callback(err));
    };
  }

  /** dns.lookup of every address, bounded in time (libuv's resolver has no timeout of its own). */
  private resolve(hostname: string, options: object = {}): Promise<LookupAddress[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(Object.assign(new Error(`no DNS answer for ${hostname} within ${this.lookupTimeoutMs} ms`), { code: 'ETIMEOUT' })), this.lookupTimeoutMs);
      dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (err, addresses) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(addresses);
      });
    });
  }
}
