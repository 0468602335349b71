/**
 * Records a task's timeline, addresses and counts; `snapshot()` is what `task.metrics` returns.
 * Times are kept as whole milliseconds since this module loaded (`metricsTime()`) and become
 * Dates only in a snapshot: a small integer lives in the field itself, where a Date, a time since
 * 1970 or a fraction would be an object of its own (a heap number), and most tasks never ask.
 */
import type net from 'node:net';
import type { ConnectionInfo, TaskMetrics } from './types.js';

const EPOCH = Date.now();

/**
 * Now, as MetricsRecorder keeps times. Math.floor, because V8 boxes the difference of two
 * doubles as a heap number even when it is whole (16 bytes per field, measured); a floored one
 * is a small integer for the first 24 days of the process.
 */
export const metricsTime = (): number => Math.floor(Date.now() - EPOCH);

const dateOf = (time: number | null): Date | null => (time === null ? null : new Date(EPOCH + time));

/** The secure connection's part of the timeline, made only for a task that goes secure. */
interface SecureTimeline {
  startDate: number;
  endDate: number | null;
  protocol: string | null;
  cipher: string | null;
}

/**
 * Only what cannot be derived is kept (an idle task carries this object): the lookup starts
 * when the fetch does, and the connect starts when the lookup ends, or when the fetch starts if
 * the host was an address (connected without a lookup).
 */
export class MetricsRecorder {
  fetchStartDate: number | null = null;
  /** When the last lookup ended; null if none did (an address literal, or still looking up). */
  domainLookupEndDate: number | null = null;
  connectEndDate: number | null = null;
  /**
   * The connection's addresses, read once connected (a socket no longer tells them once Node
   * has destroyed it, after a reset for instance). Kept as fields, not as a ConnectionInfo: an
   * idle task carries no object for them; `connectionInfo()` makes one when asked.
   */
  localAddress: string | null = null;
  localPort = 0;
  remoteAddress: string | null = null;
  remotePort = 0;
  #secure: SecureTimeline | null = null;

  /** The socket connected: reads its addresses while it can tell them. */
  connected(time: number, socket: net.Socket): void {
    this.connectEndDate = time;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
  }

  /** The addresses as `opened` reports them; null before connecting. A new object each call. */
  connectionInfo(): ConnectionInfo | null {
    if (this.localAddress === null || this.remoteAddress === null) return null;
    return { localAddress: this.localAddress, localPort: this.localPort, remoteAddress: this.remoteAddress, remotePort: this.remotePort };
  }

  secureConnectionStarted(time: number): void {
    this.#secure = { startDate: time, endDate: null, protocol: null, cipher: null };
  }

  /** Called after secureConnectionStarted() (the task's upgrade always starts it first). */
  secureConnectionEnded(time: number, protocol: string, cipher: string): void {
    const secure = this.#secure;
    if (secure === null) return;
    secure.endDate = time;
    secure.protocol = protocol;
    secure.cipher = cipher;
  }

  snapshot(countOfBytesSent: number, countOfBytesReceived: number, isProxyConnection: boolean): TaskMetrics {
    const { fetchStartDate, domainLookupEndDate, connectEndDate } = this;
    // Connected without a lookup: the host was an address.
    const noLookup = connectEndDate !== null && domainLookupEndDate === null;
    const secure = this.#secure;
    const connected = this.localAddress !== null;
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
      localAddress: this.localAddress,
      localPort: connected ? this.localPort : null,
      remoteAddress: this.remoteAddress,
      remotePort: connected ? this.remotePort : null,
      negotiatedTLSProtocolVersion: secure?.protocol ?? null,
      negotiatedTLSCipherSuite: secure?.cipher ?? null,
      isProxyConnection,
    };
  }
}
