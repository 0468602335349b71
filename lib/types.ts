/** Public types shared by the session and its tasks. */
import type { SecureConnectionInfo } from './tls/secure.js';
import type { AbortSignalLike } from './validate.js';

export type { AbortSignalLike };

/** The life of a task, as in Foundation's `URLSessionTask.State`. */
export type StreamTaskState = 'suspended' | 'running' | 'canceling' | 'completed';

/** Where the connection runs, known once it is open. */
export interface ConnectionInfo {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** For a task with TLS from the first byte: what the handshake negotiated. */
  tls?: SecureConnectionInfo;
}

/** What `readData` resolves with. */
export interface ReadResult {
  /** The bytes read: at least `minLength` unless `atEOF`, at most `maxLength`. Yours to keep. */
  data: Uint8Array;
  /** True when no byte will follow: the peer closed its side and everything before was read. */
  atEOF: boolean;
}

/** Options every operation takes. */
export interface OperationOptions {
  /**
   * Milliseconds from the call (time spent waiting behind earlier operations counts). `0` or
   * `Infinity`: no limit. Default `0`.
   */
  timeout?: number;
  /** Aborting it rejects this operation alone with `cancelled`; the task stays usable. */
  signal?: AbortSignalLike;
}

/** Options of `readData`. */
export interface ReadOptions extends OperationOptions {
  /** Resolve once at least this many bytes are there (fewer only at end of stream). Default 1. */
  minLength?: number;
  /** Never resolve with more than this many bytes. Default 65536. */
  maxLength?: number;
}

/** Options of `write`. */
export type WriteOptions = OperationOptions;

/** Bytes `write` accepts. Strings are sent as UTF-8. */
export type WritableData = Uint8Array | ArrayBufferView | ArrayBuffer | string;

/**
 * Timing and byte counts of a task, under the names of Foundation's
 * `URLSessionTaskTransactionMetrics`. A date is `null` until its moment has come.
 */
export interface TaskMetrics {
  /** When the task was resumed for the first time. */
  fetchStartDate: Date | null;
  domainLookupStartDate: Date | null;
  domainLookupEndDate: Date | null;
  connectStartDate: Date | null;
  connectEndDate: Date | null;
  secureConnectionStartDate: Date | null;
  secureConnectionEndDate: Date | null;
  countOfBytesSent: number;
  countOfBytesReceived: number;
  localAddress: string | null;
  localPort: number | null;
  remoteAddress: string | null;
  remotePort: number | null;
  negotiatedTLSProtocolVersion: string | null;
  negotiatedTLSCipherSuite: string | null;
  isProxyConnection: boolean;
}
