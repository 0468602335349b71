/**
 * What a task reports while it lives: progress (bytes moved, coalesced per interval) and better
 * routes (its local address gone). Owns when those events fire; the counts are the machine's.
 */
import { PROGRESS_INTERVAL_MS } from '../constants.js';
import { StreamTaskProgressEvent } from './events.js';
import { BETTER_ROUTE_WANTED, FINISHING, PROGRESS_WANTED } from './flags.js';
import { mayHaveListeners } from './lazy-event-target.js';
import { watchLocalAddress } from './route-watcher.js';
import type { TaskMachine } from './task-machine.js';
import { callDelegate } from './announce.js';

/** Watches the local address once the connection is open, if anyone listens for `betterroute`. */
export function watchRoute(task: TaskMachine): void {
  const address = task.local?.address ?? null;
  if (!task.has(BETTER_ROUTE_WANTED) || task.rare().unwatchRoute !== undefined || address === null || address === '' || task.has(FINISHING)) return;
  startWatching(task, address);
}

// Apart from watchRoute: a function whose closure captures `task` makes its context on every
// call, also when it returns early (as watchRoute does for nearly every task).
function startWatching(task: TaskMachine, address: string): void {
  task.setSeldom('unwatchRoute', watchLocalAddress(address, () => {
    if (mayHaveListeners(task)) task.dispatchEvent(new Event('betterroute'));
    callDelegate(task, 'betterRouteDiscovered');
  }));
}

/** Bytes moved: report them within PROGRESS_INTERVAL_MS, coalesced, never an event per chunk. */
export function noteProgress(task: TaskMachine): void {
  if (!task.has(PROGRESS_WANTED) || task.rare().progressTimer !== undefined || task.has(FINISHING)) return;
  startProgressTimer(task);
}

/** Apart from noteProgress (see startWatching): it runs for every chunk and write. */
function startProgressTimer(task: TaskMachine): void {
  task.setSeldom('progressTimer', setTimeout(() => {
    task.setSeldom('progressTimer', undefined);
    emitProgress(task);
  }, PROGRESS_INTERVAL_MS));
}

export function emitProgress(task: TaskMachine): void {
  if (!task.has(PROGRESS_WANTED)) return;
  const sent = task.bytesSent;
  const received = task.bytesReceived;
  if (sent === task.rare().progressSent && received === task.rare().progressReceived) return;
  task.setSeldom('progressSent', sent);
  task.setSeldom('progressReceived', received);
  if (mayHaveListeners(task)) task.dispatchEvent(new StreamTaskProgressEvent(sent, received));
  callDelegate(task, 'didUpdateProgress', sent, received);
}
