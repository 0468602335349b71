/**
 * The end of a task: tearing down its timers and socket, and completing once the socket closed.
 * Owns the last steps only; deciding that the task ends (fail, maybeComplete) is the machine's.
 */
import { streamTaskError } from '../errors.js';
import { StreamTaskCompleteEvent } from './events.js';
import { COMPLETED, EOF_RECEIVED, FINISHING, SOCKET_CLOSED, WRITE_CLOSED } from './flags.js';
import { mayHaveListeners } from './lazy-event-target.js';
import { emitProgress } from './progress.js';
import { decideResults } from './results.js';
import type { TaskMachine } from './task-machine.js';

/** Stops every timer and watcher, then closes the socket; the task completes at its 'close'. */
export function teardown(task: TaskMachine): void {
  clearTimeout(task.connectTimer);
  clearTimeout(task.rare().resourceTimer);
  clearTimeout(task.rare().progressTimer);
  clearTimeout(task.rare().retryTimer);
  task.setSeldom('retryTimer', undefined);
  task.rare().unwatchRoute?.();
  task.rare().resolving?.abort();
  task.connectTimer = undefined;
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
  task.setState('completed');
  decideResults(task);
  task.list?.remove(task);
  // A snapshot makes seven Dates: only for someone who will see it.
  const listening = mayHaveListeners(task);
  if (listening || typeof task.rare().delegate?.didFinishCollectingMetrics === 'function') {
    const metrics = task.metrics;
    task.callDelegate('didFinishCollectingMetrics', metrics);
    if (listening) task.dispatchEvent(new StreamTaskCompleteEvent(error, metrics));
  }
  task.callDelegate('didCompleteWithError', error);
}
