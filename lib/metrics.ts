/**
 * Records a task's timeline and counts; `snapshot()` is what `task.metrics` returns. Times are
 * kept as milliseconds since the epoch (`Date.now()`) and become Dates only in a snapshot: a
 * number is smaller than a Date, and most tasks never ask.
 */
import type { TaskMetrics } from './types.js';

const dateOf = (time: number | null): Date | null => (time === null ? null : new Date(time));

export class MetricsRecorder {
  fetchStartDate: number | null = null;
  domainLookupStartDate: number | null = null;
  domainLookupEndDate: number | null = null;
  connectStartDate: number | null = null;
  connectEndDate: number | null = null;
  secureConnectionStartDate: number | null = null;
  secureConnectionEndDate: number | null = null;
  localAddress: string | null = null;
  localPort: number | null = null;
  remoteAddress: string | null = null;
  remotePort: number | null = null;
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
      localAddress: this.localAddress,
      localPort: this.localPort,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
      negotiatedTLSProtocolVersion: this.negotiatedTLSProtocolVersion,
      negotiatedTLSCipherSuite: this.negotiatedTLSCipherSuite,
      isProxyConnection: this.isProxyConnection,
    };
  }
}
