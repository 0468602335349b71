/**
 * Services in `.local` (DNS-SD over multicast DNS, RFC 6762 and RFC 6763), with the
 * `multicast-dns` library: a PTR query for the service type (unless an instance is named), SRV
 * for each instance, and A/AAAA for each SRV target, all answered over multicast. Responders
 * usually send the SRV and address records with the first answer; whatever is missing is asked
 * for. The targets come with their addresses, so connecting needs no lookup of a `.local` name
 * (which the system resolver may not do).
 *
 * A query is sent at once and again every second (RFC 6762 §5.2 asks for at least one second
 * between the first two) until the first instance is fully known; answers keep coming for
 * MDNS_GATHER_MS more, so instances that answer in the same burst are tried too. Nothing known
 * within the wait: `cannotFindHost`. The socket is closed as soon as the answer is decided or
 * the signal aborts (the task is cancelled), so no handle outlives the task.
 */
// Loaded only when a `.local` service is resolved: importing streamtask costs nothing for it, and
// bundlers do not meet its dynamic require() unless the application uses multicast DNS.
import type MulticastDns from 'multicast-dns';
import { MDNS_GATHER_MS, MDNS_REQUERY_MS } from '../constants.js';
import { cancelledError, streamTaskError, type ErrorContext } from '../errors.js';
import { orderTargets, type ServiceDescriptor, type ServiceTarget } from './service.js';

/** What the answers told so far, by lower-cased name. */
interface Known {
  /** Instances of the type, in the order they first answered, as they were spelled. */
  instances: string[];
  srv: Map<string, { priority: number; weight: number; port: number; target: string }[]>;
  addresses: Map<string, { address: string; family: 4 | 6 }[]>;
}

/** A DNS name as records carry it, without the trailing dot, lower-cased for lookups. */
const key = (name: string): string => name.replace(/\.$/, '').toLowerCase();

/** The DNS-SD name of a service type in its domain, e.g. "_ipp._tcp.local". */
function serviceName(service: ServiceDescriptor): string {
  return `${service.type}.${service.domain}`;
}

/** Record types in the order an answer is read: each may make the next kind relevant. */
const ORDER: Record<string, number> = { PTR: 0, SRV: 1, A: 2, AAAA: 2 };

/**
 * Reads one mDNS answer or additional record into `known` if it is about what is being resolved
 * (a PTR of the type browsed, the SRV of a known instance, an address of a known SRV target);
 * true if it was news. Everything else on the link is other hosts' business and is dropped.
 */
function learn(known: Known, record: { name: string; type: string; data?: unknown }, browse: string | null): boolean {
  const name = key(record.name);
  if (record.type === 'PTR' && typeof record.data === 'string') {
    const instance = record.data.replace(/\.$/, '');
    if (browse === null || name !== key(browse) || !key(instance).endsWith(`.${name}`)) return false;
    if (known.instances.some((seen) => key(seen) === key(instance))) return false;
    known.instances.push(instance);
    return true;
  }
  if (record.type === 'SRV') {
    if (!known.instances.some((instance) => key(instance) === name)) return false;
    const data = record.data as { priority?: number; weight?: number; port: number; target: string };
    const list = known.srv.get(name) ?? [];
    if (list.some((srv) => srv.port === data.port && key(srv.target) === key(data.target))) return false;
    list.push({ priority: data.priority ?? 0, weight: data.weight ?? 0, port: data.port, target: data.target });
    known.srv.set(name, list);
    return true;
  }
  if ((record.type === 'A' || record.type === 'AAAA') && typeof record.data === 'string') {
    if (![...known.srv.values()].some((list) => list.some((srv) => key(srv.target) === name))) return false;
    const list = known.addresses.get(name) ?? [];
    if (list.some((entry) => entry.address === record.data)) return false;
    list.push({ address: record.data, family: record.type === 'A' ? 4 : 6 });
    known.addresses.set(name, list);
    return true;
  }
  return false;
}

/** The fully known targets (SRV and at least one address), instances in answer order. */
function targetsOf(known: Known): ServiceTarget[] {
  const targets: ServiceTarget[] = [];
  for (const instance of known.instances) {
    for (const srv of orderTargets(known.srv.get(key(instance)) ?? [])) {
      const addresses = known.addresses.get(key(srv.target));
      if (addresses !== undefined) targets.push({ host: srv.target.replace(/\.$/, ''), port: srv.port, addresses });
    }
  }
  return targets;
}

/** The questions still open: PTR until an instance is known, then SRV and addresses as needed. */
function questions(known: Known, browse: string | null): { name: string; type: 'PTR' | 'SRV' | 'A' | 'AAAA' }[] {
  const open: { name: string; type: 'PTR' | 'SRV' | 'A' | 'AAAA' }[] = [];
  if (browse !== null && known.instances.length === 0) open.push({ name: browse, type: 'PTR' });
  for (const instance of known.instances) {
    const records = known.srv.get(key(instance));
    if (records === undefined) {
      open.push({ name: instance, type: 'SRV' });
      continue;
    }
    for (const srv of records) {
      if (known.addresses.has(key(srv.target))) continue;
      open.push({ name: srv.target, type: 'A' }, { name: srv.target, type: 'AAAA' });
    }
  }
  return open;
}

/**
 * The targets of a `.local` service, in the order to try them. Rejects with `cannotFindHost`
 * when nothing answers within `waitMs`, or when the multicast socket cannot be opened.
 */
export async function resolveMulticastService(
  service: ServiceDescriptor,
  context: ErrorContext,
  waitMs: number,
  signal: AbortSignal,
): Promise<ServiceTarget[]> {
  let makeMulticastDns: typeof MulticastDns;
  try {
    makeMulticastDns = (await import('multicast-dns')).default;
  } catch (error) {
    throw streamTaskError('cannotFindHost', context, `multicast DNS is not available here (${String(error)})`, { cause: error });
  }
  const browse = service.name === undefined ? serviceName(service) : null;
  const known: Known = { instances: [], srv: new Map(), addresses: new Map() };
  if (service.name !== undefined) known.instances.push(`${service.name}.${serviceName(service)}`);
  const query = browse ?? known.instances[0]!;
  return new Promise((resolve, reject) => {
    let mdns: ReturnType<typeof makeMulticastDns>;
    try {
      mdns = makeMulticastDns();
    } catch (error) {
      reject(streamTaskError('cannotFindHost', context, `multicast DNS is not available here (${String(error)})`, { cause: error }));
      return;
    }
    let requery: NodeJS.Timeout | undefined;
    let gather: NodeJS.Timeout | undefined;
    let finished = false;
    const giveUp = setTimeout(() => finish(), waitMs);
    const finish = (failure?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(giveUp);
      clearTimeout(requery);
      clearTimeout(gather);
      signal.removeEventListener('abort', onAbort);
      mdns.removeAllListeners('response');
      mdns.on('error', () => {});
      mdns.destroy();
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      const targets = targetsOf(known);
      if (targets.length > 0) resolve(targets);
      else reject(streamTaskError('cannotFindHost', context, `no answer over multicast DNS for ${query} within ${waitMs} ms`));
    };
    const onAbort = (): void => finish(cancelledError(context, signal.reason));
    signal.addEventListener('abort', onAbort);
    const ask = (): void => {
      const open = questions(known, browse);
      if (open.length > 0) mdns.query({ questions: open });
      requery = setTimeout(ask, MDNS_REQUERY_MS);
    };
    mdns.on('error', (error: Error) => finish(streamTaskError('cannotFindHost', context,
      `multicast DNS is not available here (${(error as NodeJS.ErrnoException).code ?? error.message})`, { cause: error })));
    mdns.on('response', (response) => {
      let news = false;
      const records = [...(response.answers ?? []), ...(response.additionals ?? [])]
        .sort((a, b) => (ORDER[a.type] ?? 3) - (ORDER[b.type] ?? 3));
      for (const record of records) news = learn(known, record, browse) || news;
      // Other hosts' traffic on the link: nothing to do (and no query sent for it).
      if (!news || gather !== undefined) return;
      if (targetsOf(known).length > 0) {
        clearTimeout(requery);
        gather = setTimeout(() => finish(), MDNS_GATHER_MS);
        return;
      }
      // Ask at once for what the answer left open (an instance's SRV, a target's address).
      const open = questions(known, browse);
      if (open.length > 0) mdns.query({ questions: open });
    });
    if (signal.aborted) onAbort();
    else ask();
  });
}
