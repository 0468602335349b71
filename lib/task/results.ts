/**
 * What `opened` and `closed` settle to, and when: made only when asked, decided from the task's
 * state whenever it changes. Owns the two promises; the state that decides them is the machine's.
 */
import { invalidStateError } from '../errors.js';
import { Deferred } from '../io/deferred.js';
import type { ConnectionInfo } from '../types.js';
import { COMPLETED, OPENED, OPENED_UNASKED } from './flags.js';
import { connectionInfo } from './metrics.js';
import type { StreamTask } from './stream-task.js';
import type { TaskMachine } from './task-machine.js';

/** `task.opened`: made when first asked, settled from the task's state. */
export function openedPromise(task: TaskMachine): Promise<ConnectionInfo> {
  task.setFlag(OPENED_UNASKED, false);
  const slot = task.openedSlot instanceof Promise ? task.openedSlot : decideOpened(task, task.openedSlot ?? new Deferred());
  task.openedSlot = slot;
  return slot instanceof Promise ? slot : slot.promise;
}

/** `task.closed`: made when first asked, settled from the task's state. */
export function closedPromise(task: TaskMachine): Promise<void> {
  const closed = task.rare().closed;
  const slot = closed instanceof Promise ? closed : decideClosed(task, closed ?? new Deferred());
  task.setSeldom('closed', slot);
  return slot instanceof Promise ? slot : slot.promise;
}

/** Settles `opened` if the task's state decides it; once settled, only the promise is kept. */
function decideOpened(task: TaskMachine, opened: Deferred<ConnectionInfo>): Deferred<ConnectionInfo> | Promise<ConnectionInfo> {
  if (task.has(OPENED)) opened.resolve(openedInfo(task));
  else if (task.failure !== null) opened.reject(task.failure);
  else if (task.inState(COMPLETED)) opened.reject(invalidStateError(task.context('connect'), 'the task completed before it connected'));
  return opened.settled ? opened.promise : opened;
}

function decideClosed(task: TaskMachine, closed: Deferred<void>): Deferred<void> | Promise<void> {
  if (!task.inState(COMPLETED)) return closed;
  if (task.failure !== null) closed.reject(task.failure);
  else closed.resolve();
  return closed.promise;
}

/** The task's state changed in a way that may decide `opened` or `closed`: settle them if asked. */
export function decideResults(task: TaskMachine): void {
  if (task.openedSlot instanceof Deferred) {
    const opened = decideOpened(task, task.openedSlot);
    task.openedSlot = opened instanceof Promise && task.has(OPENED_UNASKED) ? null : opened;
  }
  const closed = task.rare().closed;
  if (closed instanceof Deferred) task.setSeldom('closed', decideClosed(task, closed));
}

/** What `opened` resolves with, made when asked from the timeline's address fields. */
export function openedInfo(task: TaskMachine): ConnectionInfo {
  const info = connectionInfo(task)!;
  const tls = task.rare().openedTls;
  if (tls !== null) info.tls = tls;
  return info;
}

/**
 * Session.connect()'s wait: settles as `opened` does, but the task keeps no promise once it
 * has (a task from connect() would otherwise carry a resolved promise and its ConnectionInfo
 * for life), unless `opened` is asked for too.
 */
export function whenOpened(given: StreamTask): Promise<unknown> {
  const task = given as unknown as TaskMachine;
  if (task.openedSlot !== null) return openedPromise(task);
  const opened = decideOpened(task, new Deferred());
  if (opened instanceof Promise) return opened;
  task.openedSlot = opened;
  task.setFlag(OPENED_UNASKED, true);
  return opened.promise;
}
