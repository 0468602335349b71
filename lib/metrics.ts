/**
 * Records a task's timeline and counts; `snapshot()` is what `task.metrics` returns. Times are
 * kept as milliseconds since this module loaded (`metricsTime()`) and become Dates only in a
 * snapshot: a small integer lives in the field itself, where a Date or a time since 1970 would be
 * an object of its own, and most tasks never ask.
 */
import type { ConnectionInfo, TaskMetrics } from './types.js';

const EPOCH = Date.now();

/** Now, as MetricsRecorder keeps times. */
export const metricsTime = (): number => Date.now() - EPOCH;

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
  /** The connection's addresses, once connected. */
  connection: ConnectionInfo | null = null;
  #secure: SecureTimeline | null = null;

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
      localAddress: this.connection?.localAddress ?? null,
      localPort: this.connection?.localPort ?? null,
      remoteAddress: this.connection?.remoteAddress ?? null,
      remotePort: this.connection?.remotePort ?? null,
      negotiatedTLSProtocolVersion: secure?.protocol ?? null,
      negotiatedTLSCipherSuite: secure?.cipher ?? null,
      isProxyConnection,
    };
  }
}
