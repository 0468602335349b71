/** Public types shared by the session and its tasks. */
import type { SecureConnectionInfo } from './tls/secure.js';
import type { AbortSignalLike } from './validate.js';

export type { AbortSignalLike };

/**
 * The life of a task, as in Foundation's `URLSessionTask.State`.
 *
 * @example
 * ```ts
 * const state: StreamTaskState = task.state;
 * if (state === 'suspended') task.resume();
 * ```
 */
export type StreamTaskState = 'suspended' | 'running' | 'canceling' | 'completed';

/**
 * Where the connection runs, known once it is open.
 *
 * @example
 * ```ts
 * const info: ConnectionInfo = await task.opened;
 * console.log(`${info.localAddress}:${info.localPort} -> ${info.remoteAddress}:${info.remotePort}`);
 * ```
 */
export interface ConnectionInfo {
  /** Our end's address (for a Unix domain socket: `''`). */
  localAddress: string;
  /** Our end's port (for a Unix domain socket: 0). */
  localPort: number;
  /** The address we connected to: the proxy's when there is one (for a Unix domain socket: its path). */
  remoteAddress: string;
  /** The port we connected to: the proxy's when there is one (for a Unix domain socket: 0). */
  remotePort: number;
  /** For a task with TLS from the first byte: what the handshake negotiated. */
  tls?: SecureConnectionInfo;
}

/**
 * What `readData` resolves with.
 *
 * @example
 * ```ts
 * const result: ReadResult = await task.readData({ minLength: 1 });
 * if (result.atEOF) console.log('the peer closed its side');
 * ```
 */
export interface ReadResult {
  /** The bytes read: at least `minLength` unless `atEOF`, at most `maxLength`. Yours to keep. */
  data: Uint8Array;
  /** True when no byte will follow: the peer closed its side and everything before was read. */
  atEOF: boolean;
}

/**
 * Options every operation takes.
 *
 * @example
 * ```ts
 * const options: OperationOptions = { timeout: 5000, signal: AbortSignal.timeout(10_000) };
 * const line = await task.readLine(options);
 * ```
 */
export interface OperationOptions {
  /**
   * Milliseconds from the call (time spent waiting behind earlier operations counts). `0` or
   * `Infinity`: no limit. Default `0`.
   */
  timeout?: number;
  /** Aborting it rejects this operation alone with `cancelled`; the task stays usable. */
  signal?: AbortSignalLike;
}

/**
 * Options of `readData`.
 *
 * @example
 * ```ts
 * const options: ReadOptions = { minLength: 4, maxLength: 4096, timeout: 5000 };
 * const { data } = await task.readData(options);
 * ```
 */
export interface ReadOptions extends OperationOptions {
  /** Resolve once at least this many bytes are there (fewer only at end of stream). Default 1. */
  minLength?: number;
  /** Never resolve with more than this many bytes. Default 65536. */
  maxLength?: number;
}

/**
 * Options of `write`.
 *
 * @example
 * ```ts
 * const options: WriteOptions = { timeout: 5000 };
 * await task.write('PING\r\n', options);
 * ```
 */
export type WriteOptions = OperationOptions;

/**
 * Bytes `write` accepts. Strings are sent as UTF-8.
 *
 * @example
 * ```ts
 * const frames: WritableData[] = ['HELLO\r\n', new Uint8Array([0, 1]), new ArrayBuffer(8)];
 * for (const frame of frames) await task.write(frame);
 * ```
 */
export type WritableData = Uint8Array | ArrayBufferView | ArrayBuffer | string;

/**
 * Timing and byte counts of a task, under the names of Foundation's
 * `URLSessionTaskTransactionMetrics`. A date is `null` until its moment has come.
 *
 * @example
 * ```ts
 * await task.opened;
 * const metrics: TaskMetrics = task.metrics;
 * const connectMs = metrics.connectEndDate!.getTime() - metrics.connectStartDate!.getTime();
 * ```
 */
export interface TaskMetrics {
  /** When the task was resumed for the first time. */
  fetchStartDate: Date | null;
  /** When the name lookup began; null when the host was an address (nothing to look up). */
  domainLookupStartDate: Date | null;
  /** When the name lookup ended. */
  domainLookupEndDate: Date | null;
  /** When the TCP (or Unix socket) connect began. */
  connectStartDate: Date | null;
  /** When the connection opened (through the proxy's handshake, when there is one). */
  connectEndDate: Date | null;
  /** When the latest TLS handshake began (from the start or STARTTLS). */
  secureConnectionStartDate: Date | null;
  /** When the latest TLS handshake finished. */
  secureConnectionEndDate: Date | null;
  /** Bytes the kernel has accepted from us. */
  countOfBytesSent: number;
  /** Bytes that arrived from the peer. */
  countOfBytesReceived: number;
  /** Our end's address, once connected. */
  localAddress: string | null;
  /** Our end's port, once connected. */
  localPort: number | null;
  /** The address connected to (the proxy's, through a proxy). */
  remoteAddress: string | null;
  /** The port connected to (the proxy's, through a proxy). */
  remotePort: number | null;
  /** The TLS version negotiated, for example `'TLSv1.3'`. */
  negotiatedTLSProtocolVersion: string | null;
  /** The cipher suite negotiated, for example `'TLS_AES_256_GCM_SHA384'`. */
  negotiatedTLSCipherSuite: string | null;
  /** True when the connection runs through an HTTP or SOCKS proxy. */
  isProxyConnection: boolean;
}
