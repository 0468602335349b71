/**
 * The task's diagnostics channels (node:diagnostics_channel), in undici's manner: one named
 * channel per moment of a task's life, published only while someone subscribes (one property
 * test otherwise, and only at those moments: never per read or write). Owns the channel names
 * and what each message holds; when each moment happens is its part's.
 */
import * as diagnostics from 'node:diagnostics_channel';
import type { StreamTaskError } from '../errors.js';
import type { SecureConnectionInfo } from '../tls/secure.js';
import type { ConnectionInfo, TaskMetrics } from '../types.js';
import type { StreamTask } from './stream-task.js';

/**
 * The channels' names: `diagnostics_channel.subscribe(CHANNELS.open, (message) => …)`.
 * docs/diagnostics.md shows them feeding OpenTelemetry-style spans.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * import { CHANNELS, type TaskCloseMessage } from 'streamtask';
 * diagnostics.subscribe(CHANNELS.close, (message) => {
 *   const { task, error, metrics } = message as TaskCloseMessage;
 *   console.log(task.taskIdentifier, error?.code ?? 'ok', metrics.countOfBytesReceived);
 * });
 * ```
 */
export const CHANNELS = {
  /** A task was made (it has not connected yet). Message: {@link TaskCreateMessage}. */
  create: 'streamtask:task:create',
  /** The connection is open: the lanes run (after any proxy, TLS from the start or Upgrade). {@link TaskOpenMessage}. */
  open: 'streamtask:task:open',
  /** A TLS handshake succeeded (from the start, or STARTTLS). {@link TaskSecureMessage}. */
  secure: 'streamtask:task:secure',
  /** The task failed or was cancelled; `close` follows once its socket closed. {@link TaskErrorMessage}. */
  error: 'streamtask:task:error',
  /** The task completed, well or not: the last message about it. {@link TaskCloseMessage}. */
  close: 'streamtask:task:close',
} as const;

/**
 * The message of `streamtask:task:create`.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * import { CHANNELS, type TaskCreateMessage } from 'streamtask';
 * diagnostics.subscribe(CHANNELS.create, (message) => console.log('new task', (message as TaskCreateMessage).task.host));
 * ```
 */
export interface TaskCreateMessage {
  /** The task this is about. */
  task: StreamTask;
}

/**
 * The message of `streamtask:task:open`.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * import { CHANNELS, type TaskOpenMessage } from 'streamtask';
 * diagnostics.subscribe(CHANNELS.open, (message) => {
 *   const { connection } = message as TaskOpenMessage;
 *   console.log(`open ${connection.remoteAddress}:${connection.remotePort}`);
 * });
 * ```
 */
export interface TaskOpenMessage {
  /** The task this is about. */
  task: StreamTask;
  /** Where the connection runs (as `task.opened` resolves). */
  connection: ConnectionInfo;
}

/**
 * The message of `streamtask:task:secure`.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * import { CHANNELS, type TaskSecureMessage } from 'streamtask';
 * diagnostics.subscribe(CHANNELS.secure, (message) => console.log((message as TaskSecureMessage).secure.protocol));
 * ```
 */
export interface TaskSecureMessage {
  /** The task this is about. */
  task: StreamTask;
  /** What the handshake negotiated. */
  secure: SecureConnectionInfo;
}

/**
 * The message of `streamtask:task:error`.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * import { CHANNELS, type TaskErrorMessage } from 'streamtask';
 * diagnostics.subscribe(CHANNELS.error, (message) => console.error((message as TaskErrorMessage).error.code));
 * ```
 */
export interface TaskErrorMessage {
  /** The task this is about. */
  task: StreamTask;
  /** Why it failed (`cancelled` for a cancel). */
  error: StreamTaskError;
}

/**
 * The message of `streamtask:task:close`: `error` is null for a clean end.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * import { CHANNELS, type TaskCloseMessage } from 'streamtask';
 * diagnostics.subscribe(CHANNELS.close, (message) => console.log((message as TaskCloseMessage).metrics.countOfBytesSent));
 * ```
 */
export interface TaskCloseMessage {
  /** The task this is about. */
  task: StreamTask;
  /** Why it ended, or null when both sides closed cleanly. */
  error: StreamTaskError | null;
  /** Its metrics at the end. */
  metrics: TaskMetrics;
}

export const createChannel = diagnostics.channel(CHANNELS.create);
export const openChannel = diagnostics.channel(CHANNELS.open);
export const secureChannel = diagnostics.channel(CHANNELS.secure);
export const errorChannel = diagnostics.channel(CHANNELS.error);
export const closeChannel = diagnostics.channel(CHANNELS.close);
