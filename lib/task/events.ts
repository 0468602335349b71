/** The events a task dispatches (the task is an EventTarget), and the delegate that mirrors them. */
import type { CapturedStreams } from '../adapters/web-streams.js';
import type { UpgradeResponse } from '../connect/http-upgrade.js';
import type { SecureConnectionInfo } from '../tls/secure.js';
import type { StreamTaskError } from '../errors.js';
import type { ConnectionInfo, StreamTaskState, TaskMetrics } from '../types.js';

/**
 * Dispatched last, once, when the task completes.
 *
 * @example
 * ```ts
 * task.addEventListener('complete', (event: StreamTaskCompleteEvent) => {
 *   console.log(event.error?.code ?? 'clean', event.metrics.countOfBytesReceived);
 * });
 * ```
 */
export class StreamTaskCompleteEvent extends Event {
  /** Why the task ended, or null when both sides closed cleanly. */
  readonly error: StreamTaskError | null;
  /** The task's metrics at completion. */
  readonly metrics: TaskMetrics;

  constructor(error: StreamTaskError | null, metrics: TaskMetrics) {
    super('complete');
    this.error = error;
    this.metrics = metrics;
  }
}

/**
 * Byte counts, at most every 50 ms while bytes move, and once more before `complete`.
 *
 * @example
 * ```ts
 * task.addEventListener('progress', (event: StreamTaskProgressEvent) => {
 *   process.stderr.write(`\r${event.countOfBytesReceived} bytes in`);
 * });
 * ```
 */
export class StreamTaskProgressEvent extends Event {
  /** Bytes the kernel has accepted from us so far. */
  readonly countOfBytesSent: number;
  /** Bytes that arrived so far. */
  readonly countOfBytesReceived: number;

  constructor(countOfBytesSent: number, countOfBytesReceived: number) {
    super('progress');
    this.countOfBytesSent = countOfBytesSent;
    this.countOfBytesReceived = countOfBytesReceived;
  }
}

/**
 * Dispatched when `captureStreams()` resolves, with the same streams.
 *
 * @example
 * ```ts
 * task.addEventListener('streamscaptured', (event: StreamTaskStreamsEvent) => {
 *   console.log('captured', event.streams.readable.locked);
 * });
 * ```
 */
export class StreamTaskStreamsEvent extends Event {
  /** The streams `captureStreams()` resolved with. */
  readonly streams: CapturedStreams;

  constructor(streams: CapturedStreams) {
    super('streamscaptured');
    this.streams = streams;
  }
}

/**
 * Dispatched when TLS is established (from the first byte or by `startSecureConnection`).
 *
 * @example
 * ```ts
 * task.addEventListener('secureconnection', (event: StreamTaskSecureEvent) => console.log(event.info.protocol));
 * ```
 */
export class StreamTaskSecureEvent extends Event {
  /** What the handshake negotiated. */
  readonly info: SecureConnectionInfo;

  constructor(info: SecureConnectionInfo) {
    super('secureconnection');
    this.info = info;
  }
}

/**
 * Dispatched on the session when `upgrade()` turned an HTTP request into a stream task.
 *
 * @example
 * ```ts
 * session.addEventListener('upgrade', (event) => {
 *   const { response } = event as StreamTaskUpgradeEvent;
 *   console.log(response.status, response.headers.upgrade);
 * });
 * ```
 */
export class StreamTaskUpgradeEvent extends Event {
  /** The running task on the upgraded connection (typed loosely here to avoid a cycle; it is a StreamTask). */
  readonly task: unknown;
  /** The server's 101 answer. */
  readonly response: UpgradeResponse;

  constructor(task: unknown, response: UpgradeResponse) {
    super('upgrade');
    this.task = task;
    this.response = response;
  }
}

/**
 * The events of a task, by name, for typed `addEventListener`.
 *
 * @example
 * ```ts
 * const name: keyof StreamTaskEventMap = 'readclosed';
 * task.addEventListener(name, () => console.log('no more bytes will come'));
 * ```
 */
export interface StreamTaskEventMap {
  /** `task.state` changed. */
  statechange: Event;
  /** The connection opened (`task.opened` resolved). */
  open: Event;
  /** waitsForConnectivity: the first attempt failed and the task waits to retry (once). */
  waitingforconnectivity: Event;
  /** The local address of the connection left this host's interfaces: a better route exists. */
  betterroute: Event;
  /** TLS was established. */
  secureconnection: StreamTaskSecureEvent;
  /** Byte counts changed (coalesced). */
  progress: StreamTaskProgressEvent;
  /** `captureStreams()` handed the connection over. */
  streamscaptured: StreamTaskStreamsEvent;
  /** No byte will be delivered any more: our closeRead(), the peer's FIN, or a reset. */
  readclosed: Event;
  /** Our FIN was sent (closeWrite() finished), or a reset closed the connection. */
  writeclosed: Event;
  /** The task completed; carries the error (or null) and the metrics. */
  complete: StreamTaskCompleteEvent;
}

/**
 * An Apple-style delegate: give one to `new Session(configuration, delegate)` and it is called for
 * every task of the session, at the same moments as the task's events, after the listeners.
 * A method that throws is reported as an uncaught exception, as a throwing listener is.
 *
 * @example
 * ```ts
 * const session = new Session({}, {
 *   readClosed: (task) => console.log(`task ${task.taskIdentifier}: peer closed`),
 *   didCompleteWithError: (task, error) => console.log(error?.code ?? 'clean'),
 * });
 * ```
 */
export interface StreamTaskDelegate<Task = unknown> {
  /** `urlSession(_:task:didChangeState:)` has no Apple twin; mirrors `statechange`. */
  didChangeState?(task: Task, state: StreamTaskState): void;
  /** Mirrors `open`. */
  didOpen?(task: Task, info: ConnectionInfo): void;
  /** `urlSession(_:taskIsWaitingForConnectivity:)`; mirrors `waitingforconnectivity`. */
  taskIsWaitingForConnectivity?(task: Task): void;
  /** `urlSession(_:betterRouteDiscoveredFor:)`; mirrors `betterroute`. */
  betterRouteDiscovered?(task: Task): void;
  /** Mirrors `secureconnection`. */
  didSecureConnection?(task: Task, info: SecureConnectionInfo): void;
  /** Mirrors `progress`. */
  didUpdateProgress?(task: Task, countOfBytesSent: number, countOfBytesReceived: number): void;
  /** `urlSession(_:streamTask:didBecome:outputStream:)`; mirrors `streamscaptured`. */
  didBecomeStreams?(task: Task, streams: CapturedStreams): void;
  /** `urlSession(_:readClosedFor:)`; mirrors `readclosed`. */
  readClosed?(task: Task): void;
  /** `urlSession(_:writeClosedFor:)`; mirrors `writeclosed`. */
  writeClosed?(task: Task): void;
  /** `urlSession(_:dataTask:didBecome:)` with a stream task: `session.upgrade()` succeeded. */
  didBecomeStreamTask?(task: Task, response: UpgradeResponse): void;
  /** `urlSession(_:task:didFinishCollecting:)`, just before completion. */
  didFinishCollectingMetrics?(task: Task, metrics: TaskMetrics): void;
  /** `urlSession(_:task:didCompleteWithError:)`; mirrors `complete`. */
  didCompleteWithError?(task: Task, error: StreamTaskError | null): void;
}
