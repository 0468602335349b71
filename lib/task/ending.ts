/**
 * The end of a task: cancelled, failed or done, then its timers and socket torn down, and complete
 * once the socket closed. Owns every way a task ends; its parts call them through the machine's
 * cancelWith(), fail() and maybeComplete().
 */
import { cancelledError, streamTaskError, type StreamTaskError } from '../errors.js';
import { stopConnectLimit } from './connect-limit.js';
import { leaveList } from './task-list.js';
import { announceReadClosed, announceWriteClosed, callDelegate, hasDelegate, setState } from './announce.js';
import { wakeReader } from './bytes-in.js';
import { closeChannel, errorChannel, type TaskCloseMessage, type TaskErrorMessage } from './diagnostics.js';
import { StreamTaskCompleteEvent } from './events.js';
import { COMPLETED, CONNECTED, EOF_DELIVERED, EOF_RECEIVED, FINISHING, READ_CLOSED, SOCKET_CLOSED, WRITE_CLOSED } from './flags.js';
import { mayHaveListeners } from './lazy-event-target.js';
import { emitProgress } from './progress.js';
import { decideResults } from './results.js';
import type { TaskMachine } from './task-machine.js';

function publishError(task: TaskMachine, error: StreamTaskError): void {
  if (errorChannel.hasSubscribers) errorChannel.publish({ task: task.api(), error } satisfies TaskErrorMessage);
}

/** Cancels: every pending operation rejects now; `reset` sends RST instead of FIN (a captured writable's abort()). */
export function cancelTask(task: TaskMachine, reason: unknown, reset: boolean): void {
  if (task.has(FINISHING) || task.inState(COMPLETED)) return;
  const error = cancelledError(task.context('task'), reason);
  task.failure = error;
  task.setFlag(FINISHING, true);
  setState(task, 'canceling');
  task.buffer.clear();
  for (const op of [...task.sides.toArray(), ...task.writeLane.toArray()]) op.interrupt(error);
  task.sides.clear();
  task.writeLane.clear();
  decideResults(task);
  publishError(task, error);
  wakeReader(task);
  if (reset) resetConnection(task);
  teardown(task);
}

/**
 * Sends RST. Not over TLS: a TLS socket's handle cannot reset (Node throws
 * ERR_INVALID_HANDLE_TYPE), and resetting the TCP socket under a live TLS one crashed Node 20
 * (a segmentation fault, seen here): a TLS connection is destroyed instead, a FIN without
 * close_notify, which the peer sees as a truncated TLS stream.
 */
function resetConnection(task: TaskMachine): void {
  const socket = task.socket;
  if (socket === null || socket.destroyed) return;
  if ((socket as { encrypted?: boolean }).encrypted === true) {
    socket.destroy();
    return;
  }
  socket.resetAndDestroy();
}

/** The task failed: writes and closes reject now; reads may still take bytes that had arrived. */
export function failTask(task: TaskMachine, error: StreamTaskError): void {
  if (task.has(FINISHING) || task.inState(COMPLETED)) return;
  task.failure = error;
  task.setFlag(FINISHING, true);
  for (const op of task.writeLane.toArray()) op.interrupt(error);
  task.writeLane.clear();
  decideResults(task);
  publishError(task, error);
  wakeReader(task);
  task.sides.open();
  if (task.has(CONNECTED)) {
    // A reset or broken pipe closes both sides.
    announceReadClosed(task);
    announceWriteClosed(task);
  }
  teardown(task);
}

/** Completes cleanly once the write side is closed and the read side closed or at delivered EOF. */
export function completeIfDone(task: TaskMachine): void {
  if (task.has(FINISHING) || task.failure !== null) return;
  if (task.has(WRITE_CLOSED) && (task.has(READ_CLOSED) || task.has(EOF_DELIVERED))) {
    task.setFlag(FINISHING, true);
    teardown(task);
  }
}

/** Stops every timer and watcher, then closes the socket; the task completes at its 'close'. */
export function teardown(task: TaskMachine): void {
  stopConnectLimit(task);
  clearTimeout(task.rare().resourceTimer);
  clearTimeout(task.rare().progressTimer);
  clearTimeout(task.rare().retryTimer);
  task.setSeldom('retryTimer', undefined);
  task.rare().unwatchRoute?.();
  task.rare().resolving?.abort();
  task.setSeldom('resourceTimer', undefined);
  task.setSeldom('progressTimer', undefined);
  const { signal, onSignalAbort } = task.rare();
  if (onSignalAbort !== undefined) signal!.removeEventListener('abort', onSignalAbort);
  task.setSeldom('onSignalAbort', undefined);
  task.setSeldom('signal', undefined);
  const socket = task.socket;
  if (socket === null || task.has(SOCKET_CLOSED)) {
    complete(task);
    return;
  }
  // Completion waits for the socket's 'close', so no handle outlives `closed`.
  socket.destroy();
  task.rare().plainSocket?.destroy();
}

/** The task's socket closed: the end of a task that was finishing, or a connection lost. */
export function socketClosed(task: TaskMachine): void {
  task.setFlag(SOCKET_CLOSED, true);
  if (task.has(FINISHING)) {
    complete(task);
    return;
  }
  // Both FINs exchanged: Node closes a half-open socket by itself. That is a clean end; the task
  // completes once a read has taken the end of stream (the buffer stays readable meanwhile).
  if (task.has(EOF_RECEIVED) && task.has(WRITE_CLOSED)) {
    task.maybeComplete();
    return;
  }
  task.fail(streamTaskError('networkConnectionLost', task.context('stream'), 'the connection closed'));
}

/** The task completes: its state, `closed`, the session's list, metrics and the last events. */
function complete(task: TaskMachine): void {
  if (task.inState(COMPLETED)) return;
  const error = task.failure;
  emitProgress(task);
  setState(task, 'completed');
  decideResults(task);
  leaveList(task);
  // A snapshot makes seven Dates: only for someone who will see it.
  const listening = mayHaveListeners(task);
  const publishing = closeChannel.hasSubscribers;
  if (listening || publishing || typeof task.rare().delegate?.didFinishCollectingMetrics === 'function') {
    const metrics = task.metrics;
    callDelegate(task, 'didFinishCollectingMetrics', metrics);
    if (listening) task.dispatchEvent(new StreamTaskCompleteEvent(error, metrics));
    if (publishing) closeChannel.publish({ task: task.api(), error, metrics } satisfies TaskCloseMessage);
  }
  if (hasDelegate(task)) callDelegate(task, 'didCompleteWithError', error);
}
