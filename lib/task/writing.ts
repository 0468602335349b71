/**
 * The write path: coalescing a tick's writes into one socket write, handing bytes to the socket,
 * and resolving writes when the kernel took them; FIN. Owns how bytes leave; why a write may not
 * run is refusals.ts's, when the write side closes half-close.ts's.
 */
import type * as net from 'node:net';
import { WRITE_BATCH_BYTES } from '../constants.js';
import { fromSystemError } from '../errors.js';
import { Later } from '../io/lane.js';
import { Operation } from '../io/operation.js';
import { mayWriteAtOnce, NO_BYTES, tookAll } from '../io/socket-writes.js';
import { currentTick } from '../io/tick.js';
import { WriteOp } from '../io/write-ops.js';
import type { AbortSignalLike, WritableData, WriteOptions } from '../types.js';
import { bytesArgument, optionsArgument, signalArgument, timeoutArgument } from '../validate.js';
import { announceWriteClosed } from './announce.js';
import { PROGRESS_WANTED, WRITE_CLOSED } from './flags.js';
import { noteProgress } from './progress.js';
import { writeRefusal } from './refusals.js';
import type { TaskMachine } from './task-machine.js';

/** Writes sent together with one socket write. */
export interface WriteBatch {
  writes: WriteOp[];
  length: number;
}

/** task.write(): checks its arguments and whether the task may write, then enqueues the write. */
export function write(task: TaskMachine, data: WritableData, options: WriteOptions | undefined): Promise<void> {
  let bytes: Uint8Array, timeout: number, signal: AbortSignalLike | undefined;
  try {
    bytes = bytesArgument('data', data);
    const given = optionsArgument<WriteOptions>('options', options);
    timeout = timeoutArgument('timeout', given.timeout);
    signal = signalArgument('signal', given.signal);
  } catch (error) {
    return Promise.reject(error);
  }
  const refusal = writeRefusal(task, 'write');
  if (refusal !== null) return task.rejected(refusal);
  const op = task.refusedIfCancelled(new WriteOp(task.sides, timeout, signal, bytes));
  if (op.settled) return op.promise;
  enqueueWrite(task, op);
  op.watch();
  return op.promise;
}

/**
 * The first write of a tick into an idle lane goes to the socket at once (no added latency).
 * Writes after it in the same tick, or behind a busy lane, join one batch of up to
 * WRITE_BATCH_BYTES that is sent with one socket write at the next tick: a loop of small
 * writes costs a system call per batch, not per write.
 */
export function enqueueWrite(task: TaskMachine, write: WriteOp): void {
  const length = write.bytes.length;
  const open = task.openBatch;
  if (open !== null && open.length + length <= WRITE_BATCH_BYTES) {
    open.writes.push(write);
    open.length += length;
    return;
  }
  const tick = currentTick();
  if (open === null && task.wroteInTick !== tick && task.writeLane.idle) {
    task.wroteInTick = tick;
    task.writeLane.submit(write);
    return;
  }
  const batch: WriteBatch = { writes: [write], length };
  task.openBatch = batch;
  task.writeLane.submit(() => {
    const later = new Later();
    process.nextTick(() => {
      if (task.openBatch === batch) task.openBatch = null;
      const sent = sendWrites(task, batch.writes, batch.length);
      if (sent === true) later.finish();
      else sent.onFinish(() => later.finish());
    });
    return later;
  });
}

/**
 * Hands the writes that are still wanted to the socket as one chunk; each resolves when the
 * kernel accepted it. Below the socket's high-water mark the lane moves on at once; above it,
 * the lane waits for 'drain' (even if a write's own time ran out meanwhile) so memory stays bounded.
 */
function sendWrites(task: TaskMachine, writes: WriteOp[], length: number): true | Later {
  const live = writes.length === 1 ? (writes[0]!.settled ? [] : writes) : writes.filter((w) => !w.settled);
  if (live.length === 0) return true;
  if (live.length === 1) return sendOne(task, live[0]!);
  if (task.failure !== null) {
    for (const write of live) write.reject(task.failure);
    return true;
  }
  for (const write of live) write.committed = true;
  const socket = task.socket!;
  const accepted = socketWrite(task, socket, concatenate(live, live === writes ? length : undefined), live);
  return accepted ? true : drained(socket);
}

/** sendWrites for one write: no array, no copy. */
export function sendOne(task: TaskMachine, write: WriteOp): true | Later {
  if (write.settled) return true;
  if (task.failure !== null) {
    write.reject(task.failure);
    return true;
  }
  write.committed = true;
  const socket = task.socket!;
  return socketWrite(task, socket, write.bytes, write) ? true : drained(socket);
}

/** Hands bytes to the socket; `ops` resolve when the kernel accepted them. Returns false above the high-water mark. */
export function socketWrite(task: TaskMachine, socket: net.Socket, bytes: Uint8Array, ops: Operation<void> | readonly Operation<void>[]): boolean {
  const length = bytes.length;
  if (mayWriteAtOnce(socket, length)) {
    const accepted = socket.write(bytes);
    if (tookAll(socket)) wrote(task, length, ops);
    else socket.write(NO_BYTES, (error) => afterWrite(task, socket, length, ops, error));
    return accepted;
  }
  return socket.write(bytes, (error) => afterWrite(task, socket, length, ops, error));
}

/**
 * A write of the captured writable: undefined when the kernel took the bytes within the call (no
 * operation, no promise for the stream to wait on), else the promise of a write operation made then.
 */
export function writeUnlessWaiting(task: TaskMachine, socket: net.Socket, bytes: Uint8Array): Promise<void> | undefined {
  const length = bytes.length;
  const atOnce = mayWriteAtOnce(socket, length);
  if (atOnce) {
    socket.write(bytes);
    if (tookAll(socket)) {
      sent(task, length);
      return undefined;
    }
  }
  const op = task.operation<void>('write', 0, undefined, task.writeLane);
  // Written at once but still queued: the empty write behind it reports when it finished.
  socket.write(atOnce ? NO_BYTES : bytes, (error) => afterWrite(task, socket, length, op, error));
  return op.promise;
}

/** A socket write finished: its operations resolve, or reject with the socket's error. */
function afterWrite(task: TaskMachine, socket: net.Socket, length: number, ops: Operation<void> | readonly Operation<void>[], error: Error | null | undefined): void {
  if (!error) {
    wrote(task, length, ops);
    return;
  }
  // The empty write behind a failed one may only know that the stream was destroyed: the
  // socket's own error, when it has one, says why.
  const cause = socket.errored ?? error;
  if (ops instanceof Operation) ops.reject(task.failure ?? fromSystemError(cause, ops.context));
  else for (const op of ops) op.reject(task.failure ?? fromSystemError(cause, op.context));
}

/** The kernel took `length` bytes: their operations resolve. */
function wrote(task: TaskMachine, length: number, ops: Operation<void> | readonly Operation<void>[]): void {
  sent(task, length);
  if (ops instanceof Operation) ops.resolve();
  else for (const op of ops) op.resolve();
}

function sent(task: TaskMachine, length: number): void {
  task.bytesSent += length;
  if (task.has(PROGRESS_WANTED)) noteProgress(task);
}

/** Sends FIN; `op` resolves when it was sent. */
export function endWrite(task: TaskMachine, op: Operation<void>): void {
  const socket = task.socket!;
  // TLS over the record feed: the TLS socket's end sends our close_notify, the FIN is ours to send.
  let feed = task.rare().recordFeed;
  const ended = (error?: Error | null): void => {
    if (error) op.reject(task.failure ?? fromSystemError(error, op.context));
    else if (feed !== null) {
      const tcp = feed;
      feed = null;
      tcp.endPlain(ended);
    } else {
      task.setFlag(WRITE_CLOSED, true);
      op.resolve();
      announceWriteClosed(task);
      task.maybeComplete();
    }
  };
  // Bun's TLS socket shuts down by itself at the peer's close_notify: then only the FIN is left.
  if (feed !== null && socket.writableFinished) ended(null);
  else socket.end(ended);
}

/** The bytes of `writes` in one new buffer. */
function concatenate(writes: WriteOp[], length = writes.reduce((sum, w) => sum + w.bytes.length, 0)): Buffer {
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const { bytes } of writes) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** Finishes at the socket's next 'drain' or 'close'. */
function drained(socket: net.Socket): Later {
  const later = new Later();
  const done = (): void => {
    socket.off('drain', done);
    socket.off('close', done);
    later.finish();
  };
  socket.on('drain', done);
  socket.on('close', done);
  return later;
}
