/**
 * The connect time limit of each attempt (`timeoutIntervalForRequest`, up to `opened`): one
 * DeadlineQueue per limit in use, so connecting makes no timer per task.
 */
import { DeadlineQueue } from '../io/deadlines.js';
import type { TaskMachine } from './task-machine.js';

const queues = new Map<number, DeadlineQueue<TaskMachine>>();
/** Queues kept while empty: a process uses a few limits; more are dropped once empty. */
const KEPT_QUEUES = 16;

/**
 * Starts the limit of an attempt, if the task has one; `expired` is called if it runs out before
 * stopConnectLimit(). The limit is read from the task's configuration here and there, so both find
 * the same queue. `expired` must be the same function on every call: a queue keeps its first.
 */
export function startConnectLimit(task: TaskMachine, expired: (task: TaskMachine) => void): void {
  const limit = task.configuration.timeoutIntervalForRequest;
  if (limit <= 0) return;
  let queue = queues.get(limit);
  if (queue === undefined) {
    queue = new DeadlineQueue<TaskMachine>(limit, (expiredTask) => {
      expiredTask.connectDeadline = -1;
      expired(expiredTask);
    });
    queues.set(limit, queue);
  }
  task.connectDeadline = queue.add(task);
}

export function stopConnectLimit(task: TaskMachine): void {
  if (task.connectDeadline < 0) return;
  const limit = task.configuration.timeoutIntervalForRequest;
  const queue = queues.get(limit);
  queue?.cancel(task.connectDeadline);
  task.connectDeadline = -1;
  if (queue !== undefined && queue.idle && queues.size > KEPT_QUEUES) queues.delete(limit);
}
