/**
 * The task's diagnostics channels (node:diagnostics_channel), in undici's manner: one named
 * channel per moment of a task's life, published only while someone subscribes (one property
 * test otherwise, and only at those moments: never per read or write). Owns the channel names
 * and what each message holds; when each moment happens is its part's.
 */
import diagnostics from 'node:diagnostics_channel';
import type { StreamTaskError } from '../errors.js';
import type { SecureConnectionInfo } from '../tls/secure.js';
import type { ConnectionInfo, TaskMetrics } from '../types.js';
import type { StreamTask } from './stream-task.js';

/** The channels' names: `diagnostics_channel.subscribe(CHANNELS.open, (message) => …)`. */
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

/** The message of `streamtask:task:create`. */
export interface TaskCreateMessage {
  task: StreamTask;
}

/** The message of `streamtask:task:open`. */
export interface TaskOpenMessage {
  task: StreamTask;
  connection: ConnectionInfo;
}

/** The message of `streamtask:task:secure`. */
export interface TaskSecureMessage {
  task: StreamTask;
  secure: SecureConnectionInfo;
}

/** The message of `streamtask:task:error`. */
export interface TaskErrorMessage {
  task: StreamTask;
  error: StreamTaskError;
}

/** The message of `streamtask:task:close`: `error` is null for a clean end. */
export interface TaskCloseMessage {
  task: StreamTask;
  error: StreamTaskError | null;
  metrics: TaskMetrics;
}

export const createChannel = diagnostics.channel(CHANNELS.create);
export const openChannel = diagnostics.channel(CHANNELS.open);
export const secureChannel = diagnostics.channel(CHANNELS.secure);
export const errorChannel = diagnostics.channel(CHANNELS.error);
export const closeChannel = diagnostics.channel(CHANNELS.close);
