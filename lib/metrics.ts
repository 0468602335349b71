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

export class MetricsRecorder {
  fetchStartDate: number | null = null;
  domainLookupStartDate: number | null = null;
  domainLookupEndDate: number | null = null;
  connectStartDate: number | null = null;
  connectEndDate: number | null = null;
  secureConnectionStartDate: number | null = null;
  secureConnectionEndDate: number | null = null;
  /** The connection's addresses, once connected (the object `opened` resolves with). */
  connection: ConnectionInfo | null = null;
  negotiatedTLSProtocolVersion: string | null = null;
  negotiatedTLSCipherSuite: string | null = null;
  isProxyConnection = false;

  snapshot(countOfBytesSent: number, countOfBytesReceived: number): TaskMetrics {
    return {
      fetchStartDate: dateOf(this.fetchStartDate),
      domainLookupStartDate: dateOf(this.domainLookupStartDate),
      domainLookupEndDate: dateOf(this.domainLookupEndDate),
      connectStartDate: dateOf(this.connectStartDate),
      connectEndDate: dateOf(this.connectEndDate),
      secureConnectionStartDate: dateOf(this.secureConnectionStartDate),
      secureConnectionEndDate: dateOf(this.secureConnectionEndDate),
      countOfBytesSent,
      countOfBytesReceived,
      localAddress: this.connection?.localAddress ?? null,
      localPort: this.connection?.localPort ?? null,
      remoteAddress: this.connection?.remoteAddress ?? null,
      remotePort: this.connection?.remotePort ?? null,
      negotiatedTLSProtocolVersion: this.negotiatedTLSProtocolVersion,
      negotiatedTLSCipherSuite: this.negotiatedTLSCipherSuite,
      isProxyConnection: this.isProxyConnection,
    };
  }
}
