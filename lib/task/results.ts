/**
 * What `opened` and `closed` settle to, and when: made only when asked, decided from the task's
 * state whenever it changes. Owns the two promises; the state that decides them is the machine's.
 */
import { invalidStateError, type StreamTaskError } from '../errors.js';
import { Deferred } from '../io/deferred.js';
import type { ConnectionInfo } from '../types.js';
import { COMPLETED, OPENED } from './flags.js';
import { connectionInfo } from './metrics.js';
import type { StreamTask } from './stream-task.js';
import type { TaskMachine } from './task-machine.js';

/** `task.opened`: made when first asked, settled from the task's state. */
export function openedPromise(task: TaskMachine): Promise<ConnectionInfo> {
  const slot = task.openedSlot;
  if (slot instanceof Promise) return slot;
  if (slot instanceof Deferred) return slot.promise;
  const opened = decideOpened(task, new Deferred());
  task.openedSlot = opened;
  const promise = opened instanceof Promise ? opened : opened.promise;
  // Session.connect() was waiting (see whenOpened): it now waits through `opened`.
  if (slot !== null) waitThrough(task, promise, slot);
  return promise;
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
  if (task.has(OPENED)) {
    opened.resolve(openedInfo(task));
  } else {
    const failure = openingFailure(task);
    if (failure !== null) opened.reject(failure);
  }
  return opened.settled ? opened.promise : opened;
}

/** Why the task will never open (null while it still may). */
function openingFailure(task: TaskMachine): StreamTaskError | null {
  if (task.failure !== null) return task.failure;
  if (task.inState(COMPLETED)) return invalidStateError(task.context('connect'), 'the task completed before it connected');
  return null;
}

function decideClosed(task: TaskMachine, closed: Deferred<void>): Deferred<void> | Promise<void> {
  if (!task.inState(COMPLETED)) return closed;
  if (task.failure !== null) closed.reject(task.failure);
  else closed.resolve();
  return closed.promise;
}

/** The task's state changed in a way that may decide `opened` or `closed`: settle them if asked. */
export function decideResults(task: TaskMachine): void {
  const slot = task.openedSlot;
  if (slot instanceof Deferred) task.openedSlot = decideOpened(task, slot);
  else if (slot instanceof ConnectWait && decideWait(task, slot)) task.openedSlot = null;
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
 * Session.connect()'s wait while nobody asked for `opened`: the settle functions of the promise
 * connect() returns, in `openedSlot` until the task opens or fails, then dropped. So a task from
 * connect() keeps no promise and no ConnectionInfo for life, and opening one makes a single
 * promise, not `opened`'s and two async functions' (about 500 bytes less garbage per connection).
 */
export class ConnectWait {
  constructor(readonly resolve: (task: StreamTask) => void, readonly reject: (error: unknown) => void) {}
}

/**
 * Resolves with the task once it is open. If it fails instead, rejects once its socket has
 * closed: the caller never gets the task, so nothing of it may outlive the rejection.
 */
export function whenOpened(given: StreamTask): Promise<StreamTask> {
  const task = given as unknown as TaskMachine;
  return new Promise((resolve, reject) => {
    const wait = new ConnectWait(resolve, reject);
    if (task.openedSlot !== null) waitThrough(task, openedPromise(task), wait);
    else if (!decideWait(task, wait)) task.openedSlot = wait;
  });
}

/** Settles a connect wait if the task's state decides it; true if it did. */
function decideWait(task: TaskMachine, wait: ConnectWait): boolean {
  if (task.has(OPENED)) {
    wait.resolve(task.api());
    return true;
  }
  const failure = openingFailure(task);
  if (failure === null) return false;
  rejectOnceClosed(task, wait, failure);
  return true;
}

function rejectOnceClosed(task: TaskMachine, wait: ConnectWait, error: unknown): void {
  const reject = (): void => wait.reject(error);
  closedPromise(task).then(reject, reject);
}

/** A connect wait settled by `opened` (asked for before the task opened). */
function waitThrough(task: TaskMachine, opened: Promise<ConnectionInfo>, wait: ConnectWait): void {
  opened.then(() => wait.resolve(task.api()), (error: unknown) => rejectOnceClosed(task, wait, error));
}
