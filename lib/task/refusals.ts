/**
 * Why an operation may not run: the task failed, its connection was handed over, its write side
 * was closed. Owns the errors only; each caller decides what it rejects with them.
 */
import { invalidStateError, type StreamTaskError } from '../errors.js';
import { CAPTURED, WRITE_CLOSING } from './flags.js';
import type { TaskMachine } from './task-machine.js';

/** Why a write (or anything that writes: closeWrite, TLS start and stop) may not run now, or null. */
export function writeRefusal(task: TaskMachine, operation: string): StreamTaskError | null {
  if (task.failure !== null) return task.failure;
  if (task.has(CAPTURED)) return capturedError(task, operation);
  if (task.has(WRITE_CLOSING)) return invalidStateError(task.context(operation), 'the write side was closed by closeWrite()');
  return null;
}

export function capturedError(task: TaskMachine, operation: string): StreamTaskError {
  return invalidStateError(task.context(operation), 'the connection was handed over by captureStreams()');
}
