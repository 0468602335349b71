/**
 * Services (Apple's `streamTask(with: NetService)`), by DNS SRV records (RFC 2782): the targets
 * in priority order, shuffled by weight within a priority, each tried in turn. A configurable
 * resolver (`configuration.dnsServers`) answers both the SRV query and the targets' addresses.
 * `.local` services are resolved over multicast DNS instead (mdns.ts).
 */
import * as dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import { streamTaskError, systemCode, type ErrorContext } from '../errors.js';
import { describe, optionsArgument, stringArgument } from '../validate.js';

/**
 * A service to connect to, as DNS-SD names it: the SRV records of `_type._tcp.domain` say where.
 *
 * @example
 * ```ts
 * const service: ServiceDescriptor = { type: '_imap._tcp', domain: 'example.com' };
 * const task = await session.connect({ service });
 * ```
 */
export interface ServiceDescriptor {
  /** The service type and protocol, e.g. '_imap._tcp' or '_xmpp-client._tcp'. */
  type: string;
  /** The domain, e.g. 'example.com', or 'local' for multicast DNS (RFC 6762). */
  domain: string;
  /**
   * A service instance name (DNS-SD, RFC 6763), prefixed to the query, e.g. 'Office Printer'.
   * Without one, a `.local` service is browsed for and the instances that answer are tried.
   */
  name?: string;
}

/** One SRV target. */
export interface ServiceTarget {
  host: string;
  port: number;
  /** Its addresses, when the service's answer carried them (multicast DNS): no lookup needed. */
  addresses?: { address: string; family: 4 | 6 }[];
}

/** Whether `domain` is resolved over multicast DNS (RFC 6762: names under "local."). */
export function isMulticastDomain(domain: string): boolean {
  return /(^|\.)local\.?$/i.test(domain);
}

type LookupCallback = Parameters<LookupFunction>[2];

/** Answers a net.connect `lookup` as getaddrinfo would: ENOTFOUND when nothing was found. */
function answerLookup(hostname: string, all: boolean, found: { address: string; family: number }[], callback: LookupCallback): void {
  if (found.length === 0) {
    (callback as (error: Error) => void)(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
  } else if (all) {
    (callback as (error: null, addresses: { address: string; family: number }[]) => void)(null, found);
  } else {
    callback(null, found[0]!.address, found[0]!.family);
  }
}

/** A `lookup` for net.connect that answers with addresses already known (no query). */
export function fixedLookup(addresses: { address: string; family: 4 | 6 }[]): LookupFunction {
  return (hostname, options, callback) => {
    const family = (options as { family?: number }).family ?? 0;
    const found = addresses.filter((entry) => family === 0 || entry.family === family);
    answerLookup(hostname, (options as { all?: boolean }).all === true, found, callback);
  };
}

export function serviceArgument(name: string, value: unknown): ServiceDescriptor {
  const given = optionsArgument<ServiceDescriptor>(name, value);
  const type = stringArgument(`${name}.type`, given.type);
  if (type === undefined || !/^_[A-Za-z0-9-]{1,63}\._tcp$/.test(type)) {
    throw new TypeError(`Expected \`${name}.type\` to be a TCP service type such as "_imap._tcp", got ${describe(given.type)}`);
  }
  const domain = stringArgument(`${name}.domain`, given.domain);
  if (domain === undefined || domain === '' || /[\s\0]/.test(domain)) {
    throw new TypeError(`Expected \`${name}.domain\` to be a domain name, got ${describe(given.domain)}`);
  }
  const instance = stringArgument(`${name}.name`, given.name);
  if (isMulticastDomain(domain)) {
    // Multicast DNS takes DNS-SD instance names as they are (spaces, any UTF-8), one label each.
    if (instance !== undefined && (Buffer.byteLength(instance) < 1 || Buffer.byteLength(instance) > 63 || /[.\0-\x1f\x7f]/.test(instance))) {
      throw new TypeError(`Expected \`${name}.name\` to be 1 to 63 bytes of UTF-8 without dots or control characters, got ${describe(instance)}`);
    }
  } else if (instance !== undefined && !/^[A-Za-z0-9_-]{1,63}$/.test(instance)) {
    // Node's resolver (c-ares) refuses names with spaces or escapes, which DNS-SD instance names may have.
    throw new TypeError(`Expected \`${name}.name\` to be 1 to 63 letters, digits, "-" or "_" (Node's resolver cannot query other names outside .local), got ${describe(instance)}`);
  }
  return { type, domain: domain.replace(/\.$/, ''), ...(instance === undefined ? {} : { name: instance }) };
}

export function dnsServersArgument(name: string, value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || !value.every((server) => typeof server === 'string' && server !== '')) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty array of "address" or "address:port" strings, got ${describe(value)}`);
  }
  return value as string[];
}

/** A resolver for `servers`, or the system's. */
export function makeResolver(servers: string[] | null): dns.promises.Resolver {
  const resolver = new dns.promises.Resolver({ timeout: 2000, tries: 2 });
  if (servers !== null) resolver.setServers(servers);
  return resolver;
}

/**
 * A `lookup` for net.connect that asks `resolver` instead of getaddrinfo. With Happy Eyeballs
 * (`ipv6First`) the IPv6 addresses come first, as RFC 8305 §4 and RFC 6724 order them: Node tries
 * the first address's family first and falls back to the other after the attempt timeout. With
 * one attempt only, IPv4 comes first: it is the family that works on every network.
 */
export function resolverLookup(resolver: dns.promises.Resolver, ipv6First: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const all = (options as { all?: boolean }).all === true;
    const family = (options as { family?: number }).family ?? 0;
    const queries: Promise<{ address: string; family: number }[]>[] = [];
    if (family !== 6) queries.push(resolver.resolve4(hostname).then((list) => list.map((address) => ({ address, family: 4 })), () => []));
    if (family !== 4) {
      const six = resolver.resolve6(hostname).then((list) => list.map((address) => ({ address, family: 6 })), () => []);
      if (ipv6First) queries.unshift(six);
      else queries.push(six);
    }
    void Promise.all(queries).then((lists) => answerLookup(hostname, all, lists.flat(), callback));
  };
}

/** The SRV targets of `service`, in the order to try them. */
export async function resolveService(service: ServiceDescriptor, resolver: dns.promises.Resolver, context: ErrorContext): Promise<ServiceTarget[]> {
  const instance = service.name === undefined ? '' : `${service.name}.`;
  const query = `${instance}${service.type}.${service.domain}`;
  let records: dns.SrvRecord[];
  try {
    records = await resolver.resolveSrv(query);
  } catch (error) {
    throw streamTaskError('cannotFindHost', context, `no SRV records for ${query} (${systemCode(error) ?? 'lookup failed'})`, { cause: error });
  }
  // RFC 2782: a single record with target "." means the service is decidedly not available.
  if (records.length === 1 && (records[0]!.name === '' || records[0]!.name === '.')) {
    throw streamTaskError('cannotFindHost', context, `${query} says the service is not available here (target ".")`);
  }
  return orderTargets(records.filter((record) => record.name !== '' && record.name !== '.'))
    .map((record) => ({ host: record.name.replace(/\.$/, ''), port: record.port }));
}

/** RFC 2782's order: priority ascending; within a priority, a weighted random order (zero weights first). */
export function orderTargets<T extends { priority: number; weight: number }>(records: T[], random: () => number = Math.random): T[] {
  const byPriority = new Map<number, T[]>();
  for (const record of records) byPriority.set(record.priority, [...(byPriority.get(record.priority) ?? []), record]);
  const ordered: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...byPriority.get(priority)!].sort((a, b) => a.weight - b.weight);
    while (left.length > 0) {
      const total = left.reduce((sum, record) => sum + record.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = left.findIndex((record) => (running += record.weight) >= pick);
      if (index < 0) index = left.length - 1;
      ordered.push(left.splice(index, 1)[0]!);
    }
  }
  return ordered;
}
