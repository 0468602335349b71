/**
 * Bytes in: each chunk into the read buffer, the waiting read woken, the end of stream, and the
 * flow control that pauses the socket when the buffer is full. Owns the way in; what a read takes
 * is its operation's (io/read-ops.ts), and where the chunk's memory came from io/socket-reads.ts's.
 */
import type * as net from 'node:net';
import { STOP_TLS_READ_SLACK_BYTES } from '../constants.js';
import { invalidStateError } from '../errors.js';
import type { PendingRead } from '../io/read-ops.js';
import { CAPTURED, CONNECTED, EOF_RECEIVED, FINISHING, PROGRESS_WANTED, READ_CLOSED, READ_CLOSING, READING, STOPPING_TLS, SUSPENDED } from './flags.js';
import { noteProgress } from './progress.js';
import type { TaskMachine } from './task-machine.js';
import { announceReadClosed } from './announce.js';
import { capturedError } from './refusals.js';

/** Each chunk the socket read, in order. Returns false to stop reading (the buffer is full). */
export function onBytes(task: TaskMachine, chunk: Buffer): boolean {
  task.bytesReceived += chunk.length;
  if (task.has(PROGRESS_WANTED)) noteProgress(task);
  if (!task.has(READ_CLOSED)) {
    task.buffer.push(chunk);
    wakeReader(task);
  }
  const more = wantsBytes(task);
  if (!more) task.setFlag(READING, false);
  return more;
}

export function onEnd(task: TaskMachine): void {
  task.setFlag(EOF_RECEIVED, true);
  announceReadClosed(task);
  wakeReader(task);
  task.maybeComplete();
}

/** Whether the socket should be reading now. */
function wantsBytes(task: TaskMachine): boolean {
  if (task.inState(SUSPENDED)) return false;
  if (task.has(READ_CLOSED)) return true;
  const limit = Math.max(task.configuration.readBufferSize, task.reader?.need ?? 0);
  return task.buffer.length < (task.has(STOPPING_TLS) ? limit + STOP_TLS_READ_SLACK_BYTES : limit);
}

/** Pauses or resumes the socket to match `wantsBytes()`: the backpressure from reader to peer. */
export function updateFlow(task: TaskMachine): void {
  updateFlowOf(task, task.socket);
}

export function updateFlowOf(task: TaskMachine, socket: net.Socket | null): void {
  if (socket === null || !task.has(CONNECTED) || task.has(FINISHING)) return;
  const want = wantsBytes(task);
  if (want && !task.has(READING)) {
    task.setFlag(READING, true);
    socket.resume();
  } else if (!want && task.has(READING)) {
    task.setFlag(READING, false);
    socket.pause();
  }
}

export function wakeReader(task: TaskMachine): void {
  const reader = task.reader;
  if (reader !== null && reader.attempt()) {
    task.reader = null;
    reader.done();
  }
}

/** Puts a read on the read lane (it runs at once if the lane is idle). */
export function submitRead<T>(task: TaskMachine, read: PendingRead<T>): Promise<T> {
  if (task.has(CAPTURED)) read.reject(capturedError(task, read.name));
  else if (task.has(READ_CLOSING)) read.reject(invalidStateError(task.context(read.name), 'the read side was closed by closeRead()'));
  else task.refusedIfCancelled(read);
  if (read.settled) return read.promise;
  task.sides.submit(read);
  read.watch();
  return read.promise;
}
