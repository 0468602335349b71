/**
 * A task's timeline and addresses, and how they become the `TaskMetrics` that `task.metrics`
 * returns. The task keeps them in fields of its own (an idle task carries no object for them);
 * `snapshotMetrics()` and `connectionInfo()` read them from a `Timeline` the task makes only
 * when asked.
 *
 * Times are whole milliseconds since this module loaded (`metricsTime()`) and become Dates only
 * in a snapshot: a small integer lives in the field itself, where a Date, a time since 1970 or a
 * fraction would be an object of its own (a heap number), and most tasks never ask.
 */
import type * as net from 'node:net';
import type { ConnectionInfo, TaskMetrics } from '../types.js';

const EPOCH = Date.now();

/**
 * Now, as the timeline keeps times. Math.floor, because V8 boxes the difference of two doubles
 * as a heap number even when it is whole (16 bytes per field, measured); a floored one is a small
 * integer for the first 24 days of the process.
 */
export const metricsTime = (): number => Math.floor(Date.now() - EPOCH);

const dateOf = (time: number | null): Date | null => (time === null ? null : new Date(EPOCH + time));

/**
 * Only what cannot be derived: the lookup starts when the fetch does, and the connect starts
 * when the lookup ends, or when the fetch starts if the host was an address (connected without
 * a lookup).
 */
export interface Timeline {
  fetchStartDate: number | null;
  /** When the last lookup ended; null if none did (an address literal, or still looking up). */
  domainLookupEndDate: number | null;
  connectEndDate: number | null;
  /**
   * The addresses, read from the socket at connect (once Node has destroyed a socket, after a
   * reset for instance, it can no longer tell them). `local` is the object `socket.address()`
   * returns, which Node keeps on the socket anyway; null before connecting.
   */
  local: net.AddressInfo | null;
  remoteAddress: string;
  remotePort: number;
}

/** The secure connection's part of the timeline, made only for a task that goes secure. */
export interface SecureTimeline {
  startDate: number;
  endDate: number | null;
  protocol: string | null;
  cipher: string | null;
}

/** A socket's local address as Node reports it (it reports `{}` if the socket already failed). */
export function localAddressOf(socket: net.Socket): net.AddressInfo {
  const local = socket.address();
  return 'port' in local ? local : { address: '', family: '', port: 0 };
}

/** The addresses as `opened` reports them; null before connecting. A new object each call. */
export function connectionInfo(timeline: Timeline): ConnectionInfo | null {
  const { local } = timeline;
  if (local === null) return null;
  return { localAddress: local.address, localPort: local.port, remoteAddress: timeline.remoteAddress, remotePort: timeline.remotePort };
}

export function snapshotMetrics(
  timeline: Timeline,
  secure: SecureTimeline | null,
  countOfBytesSent: number,
  countOfBytesReceived: number,
  isProxyConnection: boolean,
): TaskMetrics {
  const { fetchStartDate, domainLookupEndDate, connectEndDate } = timeline;
  // Connected without a lookup: the host was an address.
  const noLookup = connectEndDate !== null && domainLookupEndDate === null;
  const connection = connectionInfo(timeline);
  return {
    fetchStartDate: dateOf(fetchStartDate),
    domainLookupStartDate: noLookup ? null : dateOf(fetchStartDate),
    domainLookupEndDate: dateOf(domainLookupEndDate),
    connectStartDate: dateOf(noLookup ? fetchStartDate : domainLookupEndDate),
    connectEndDate: dateOf(connectEndDate),
    secureConnectionStartDate: dateOf(secure?.startDate ?? null),
    secureConnectionEndDate: dateOf(secure?.endDate ?? null),
    countOfBytesSent,
    countOfBytesReceived,
    localAddress: connection?.localAddress ?? null,
    localPort: connection?.localPort ?? null,
    remoteAddress: connection?.remoteAddress ?? null,
    remotePort: connection?.remotePort ?? null,
    negotiatedTLSProtocolVersion: secure?.protocol ?? null,
    negotiatedTLSCipherSuite: secure?.cipher ?? null,
    isProxyConnection,
  };
}
