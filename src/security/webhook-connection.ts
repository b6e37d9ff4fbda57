/**
 * Where a webhook POST may connect: decided on the address the socket is about to connect to,
 * not on the URL's text. A name such as `10.0.0.5.nip.io` or `localtest.me` reads as public and
 * resolves to a private or loopback address; a name can also resolve differently at delivery
 * than when it was checked (DNS rebinding). So the delivery's own DNS look-up goes through
 * `guardedLookup`, which refuses every address that is not ordinary public unicast — loopback,
 * private (RFC 1918, IPv6 unique-local), link-local (the cloud metadata address
 * 169.254.169.254 among them), carrier-grade NAT, unspecified, reserved, multicast, and IPv6
 * forms that embed an IPv4 address (mapped ones are judged as that IPv4 address) — before any
 * byte is sent. Address literals in the URL are judged the same way, since Node connects to
 * them without a look-up.
 *
 * Hosts in WEBHOOK_INSECURE_HOSTS are allowed explicitly (local receivers in development and
 * tests): their connections are not checked.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to its addresses (the system resolver by default; tests map names). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/** Why a connection to this address is refused, or null for a public unicast address. */
export function blockedAddressReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return `${address} is not an IP address`;
  }
  const range = parsed.range();
  if (range === 'unicast') return null;
  return `${parsed.toString()} is a ${RANGE_NAMES[range] ?? `${range} (not public unicast)`} address`;
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'private (unique-local)',
  linkLocal: 'link-local (cloud metadata among them)',
  carrierGradeNat: 'carrier-grade NAT',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  reserved: 'reserved',
};

/** The error a refused connection fails with (its code reads like the system's own). */
export class BlockedAddressError extends Error {
  readonly code = 'EWEBHOOKADDRESS';
  constructor(
    readonly hostname: string,
    reason: string,
  ) {
    super(`${hostname} resolves to a refused address: ${reason} (allow the host in WEBHOOK_INSECURE_HOSTS)`);
    this.name = 'BlockedAddressError';
  }
}

/**
 * A `lookup` for `net.connect` / `http.request`: resolves with `resolver`, and fails the
 * connection if any address is refused (all of them, so that no fallback to another address
 * can reach an internal one). Honours the family asked for and both answer forms (`all`).
 */
export function guardedLookup(resolver: Resolver = systemResolver): LookupFunction {
  return resolverLookup(resolver, { refuseInternal: true });
}

/** A `lookup` on `resolver`; refusing internal addresses or (an allowed host) not. */
export function resolverLookup(resolver: Resolver, options: { refuseInternal: boolean }): LookupFunction {
  const { refuseInternal } = options;
  return (hostname: string, options: LookupOptions, callback) => {
    resolver(hostname).then(
      (answers) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = answers.filter((a) => wanted === 0 || a.family === wanted);
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} has no address`);
          error.code = 'ENOTFOUND';
          callback(error, '', 0);
          return;
        }
        for (const { address } of refuseInternal ? addresses : []) {
          const reason = blockedAddressReason(address);
          if (reason) {
            callback(new BlockedAddressError(hostname, reason), '', 0);
            return;
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** A URL host that is an address literal: refused here, since no look-up will see it. */
export function literalAddressProblem(hostname: string): string | null {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? blockedAddressReason(host) : null;
}
