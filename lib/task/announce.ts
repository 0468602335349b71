/**
 * What a task tells its listeners and its session's delegate: a new state, a side closed, and
 * every delegate call. Owns the saying (event first, then delegate, each side once); when to say it is the callers'.
 */
import type { StreamTaskState } from '../types.js';
import type { StreamTaskDelegate } from './events.js';
import { READ_CLOSED_ANNOUNCED, STATE_BITS, STATE_SHIFT, STATES, WRITE_CLOSED_ANNOUNCED } from './flags.js';
import { mayHaveListeners } from './lazy-event-target.js';
import type { StreamTask } from './stream-task.js';
import type { TaskMachine } from './task-machine.js';

/** The state is two bits of the task's flags (STATE_BITS): one field fewer per task. */
export function setState(task: TaskMachine, state: StreamTaskState): void {
  if (task.stateName() === state) return;
  task.flags = (task.flags & ~STATE_BITS) | (STATES.indexOf(state) << STATE_SHIFT);
  if (mayHaveListeners(task)) task.dispatchEvent(new Event('statechange'));
  if (hasDelegate(task)) callDelegate(task, 'didChangeState', state);
}

export function announceReadClosed(task: TaskMachine): void {
  if (task.has(READ_CLOSED_ANNOUNCED)) return;
  task.setFlag(READ_CLOSED_ANNOUNCED, true);
  if (mayHaveListeners(task)) task.dispatchEvent(new Event('readclosed'));
  if (hasDelegate(task)) callDelegate(task, 'readClosed');
}

export function announceWriteClosed(task: TaskMachine): void {
  if (task.has(WRITE_CLOSED_ANNOUNCED)) return;
  task.setFlag(WRITE_CLOSED_ANNOUNCED, true);
  if (mayHaveListeners(task)) task.dispatchEvent(new Event('writeclosed'));
  if (hasDelegate(task)) callDelegate(task, 'writeClosed');
}

/** Whether the task's session has a delegate (most have none). */
export function hasDelegate(task: TaskMachine): boolean {
  return task.rare().delegate !== undefined;
}

/**
 * Calls the session delegate's method; a throw is reported as uncaught, like a listener's.
 * Callers on every task's path check hasDelegate() first: a call makes the array of `args`.
 */
export function callDelegate<K extends keyof StreamTaskDelegate>(task: TaskMachine, method: K, ...args: DelegateArgs<K>): void {
  const delegate = task.rare().delegate;
  const fn = delegate?.[method] as ((task: StreamTask, ...rest: unknown[]) => void) | undefined;
  if (typeof fn !== 'function') return;
  try {
    fn.call(delegate, task.api(), ...args);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

type DelegateArgs<K extends keyof StreamTaskDelegate> =
  Required<StreamTaskDelegate<StreamTask>>[K] extends (task: StreamTask, ...rest: infer A) => void ? A : never;
