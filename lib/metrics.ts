/** Records a task's timeline and counts; `snapshot()` is what `task.metrics` returns. */
import type { TaskMetrics } from './types.js';

export class MetricsRecorder {
  fetchStartDate: Date | null = null;
  domainLookupStartDate: Date | null = null;
  domainLookupEndDate: Date | null = null;
  connectStartDate: Date | null = null;
  connectEndDate: Date | null = null;
  secureConnectionStartDate: Date | null = null;
  secureConnectionEndDate: Date | null = null;
  localAddress: string | null = null;
  localPort: number | null = null;
  remoteAddress: string | null = null;
  remotePort: number | null = null;
  negotiatedTLSProtocolVersion: string | null = null;
  negotiatedTLSCipherSuite: string | null = null;
  isProxyConnection = false;

  snapshot(countOfBytesSent: number, countOfBytesReceived: number): TaskMetrics {
    return {
      fetchStartDate: this.fetchStartDate,
      domainLookupStartDate: this.domainLookupStartDate,
      domainLookupEndDate: this.domainLookupEndDate,
      connectStartDate: this.connectStartDate,
      connectEndDate: this.connectEndDate,
      secureConnectionStartDate: this.secureConnectionStartDate,
      secureConnectionEndDate: this.secureConnectionEndDate,
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
