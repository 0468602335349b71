/**
 * The reads: each kind finishes from the buffer when it can (and says so), or leaves everything
 * as it is. A read never takes bytes it does not return, so one that is interrupted or fails
 * leaves the buffer untouched.
 */
import { streamTaskError, type ErrorContext, type StreamTaskError } from '../errors.js';
import { notifyFinished, type Completion, type FinishListener } from './lane.js';
import { Operation, type ContextOf, type PendingList } from './operation.js';
import type { ReadBuffer } from './read-buffer.js';
import type { ReadResult } from '../types.js';
import type { AbortSignalLike } from '../validate.js';

/** The read side as a read sees it. */
export interface ReadState {
  readonly buffer: ReadBuffer;
  readonly eofReceived: boolean;
  readonly error: StreamTaskError | null;
  /** Called when a read hands out the last byte before end of stream. */
  deliveredEOF(): void;
}

/** A read waiting for bytes: at most one, the one at the head of the read lane. */
export interface Reader {
  /** Tries to finish the read from the buffer; true when the read settled. */
  attempt(): boolean;
  /** Bytes the read needs buffered at once (the socket keeps reading until then). */
  readonly need: number;
  /** Lets the read lane move on. */
  done(): void;
}

/**
 * What the task does for a read that waits: it becomes the task's one reader, and is told when
 * bytes arrive (see `PendingRead`).
 */
export interface ReadPort extends ContextOf {
  readonly state: ReadState;
  /** Where pending reads are kept (the task interrupts them if it fails). */
  readonly pendingReads: PendingList;
  /** `read` could not finish from the buffer: it is the reader now. */
  wait(read: Reader): void;
  /** `read` stopped waiting without finishing (time limit, abort, cancel). */
  stopWaiting(read: Reader): void;
  /** A read took bytes: the socket may read again. */
  afterRead(): void;
}

/**
 * One read: its promise and time limit (Operation), how it finishes from the buffer (`finish`),
 * its step on the read lane (`run`), and, while it waits, the task's reader (`attempt`) and the
 * lane's completion (`onFinish`). One object per read, so the hot path allocates little.
 */
export abstract class PendingRead<T> extends Operation<T, ReadPort> implements Completion, Reader {
  // Declared, not class fields, as in Operation: so that `new DataRead()` inlines its super() calls.
  /** Bytes the read needs buffered at once (the socket keeps reading until then). */
  declare readonly need: number;
  declare private waiting: boolean;
  declare private finished: boolean;
  declare private finishListener: FinishListener | undefined;

  constructor(name: string, port: ReadPort, timeout: number, signal: AbortSignalLike | undefined, need: number) {
    super(name, port, timeout, signal, port.pendingReads);
    this.need = need;
    this.waiting = false;
    this.finished = false;
    this.finishListener = undefined;
  }

  /** Settles the read from the buffer if it can (never taking bytes it does not return); true if it did. */
  protected abstract finish(state: ReadState): boolean;

  /** Its step, when its turn on the read lane comes. */
  run(): true | Completion {
    if (this.settled) return true;
    if (this.finish(this.port.state)) {
      this.port.afterRead();
      return true;
    }
    this.waiting = true;
    this.port.wait(this);
    return this;
  }

  /** Bytes arrived (or the end, or an error): true when the read settled. */
  attempt(): boolean {
    if (!this.finish(this.port.state)) return false;
    this.port.afterRead();
    return true;
  }

  /** Frees the read lane. (Later's protocol, repeated so that a waiting read needs no second object.) */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    const onFinish = this.finishListener;
    this.finishListener = undefined;
    if (onFinish !== undefined) notifyFinished(onFinish);
  }

  onFinish(listener: FinishListener): void {
    if (this.finished) notifyFinished(listener);
    else this.finishListener = listener;
  }

  override interrupt(error: StreamTaskError): void {
    if (this.settled) return;
    super.interrupt(error);
    if (this.waiting) {
      // It leaves its bytes buffered, and the lane to the next read.
      this.waiting = false;
      this.port.stopWaiting(this);
      this.done();
    }
  }
}

const EMPTY = new Uint8Array(0);

/** readData: at least `min`, at most `max`; the rest with atEOF at end of stream. */
export class DataRead extends PendingRead<ReadResult> {
  declare readonly max: number;

  /** `min` is the read's `need`. */
  constructor(name: string, port: ReadPort, timeout: number, signal: AbortSignalLike | undefined, min: number, max: number) {
    super(name, port, timeout, signal, min);
    this.max = max;
  }

  protected finish(state: ReadState): boolean {
    const { buffer } = state;
    const buffered = buffer.length;
    const min = this.need;
    // A poll (minLength 0) of a failed task with nothing buffered is the failure, as any read is.
    if ((buffered >= min && (buffered !== 0 || state.error === null)) || state.eofReceived) {
      const data = buffered === 0 ? EMPTY : buffer.take(Math.min(min, buffered), this.max);
      const atEOF = state.eofReceived && buffer.length === 0;
      if (atEOF) state.deliveredEOF();
      this.resolve({ data, atEOF });
      return true;
    }
    return failed(state, this);
  }
}

/** One step of `for await`: the next chunk, at most `max` bytes, or done at end of stream. */
export class ChunkRead extends PendingRead<IteratorResult<Uint8Array, undefined>> {
  declare readonly max: number;

  constructor(port: ReadPort, timeout: number, signal: AbortSignalLike | undefined, max: number) {
    super('readData', port, timeout, signal, 1);
    this.max = max;
  }

  protected finish(state: ReadState): boolean {
    const { buffer } = state;
    if (buffer.length > 0) {
      const value = buffer.take(1, this.max);
      if (state.eofReceived && buffer.length === 0) state.deliveredEOF();
      this.resolve({ value, done: false });
      return true;
    }
    if (state.eofReceived) {
      state.deliveredEOF();
      this.resolve({ value: undefined, done: true });
      return true;
    }
    return failed(state, this);
  }
}

/** readExactly: `count` bytes; at end of stream `incompleteRead`, the bytes staying buffered. */
export class ExactRead extends PendingRead<Uint8Array> {
  /** `count` is the read's `need`. */
  constructor(name: string, port: ReadPort, timeout: number, signal: AbortSignalLike | undefined, count: number) {
    super(name, port, timeout, signal, count);
  }

  protected finish(state: ReadState): boolean {
    const { buffer } = state;
    const count = this.need;
    if (buffer.length >= count) {
      const data = buffer.takeExactly(count);
      if (state.eofReceived && buffer.length === 0) state.deliveredEOF();
      this.resolve(data);
      return true;
    }
    if (state.eofReceived) {
      this.reject(incompleteRead(this.context, buffer.length, count));
      return true;
    }
    return failed(state, this);
  }
}

/** What a delimited read does at end of stream without the delimiter. */
export type AtEOFWithoutDelimiter = 'reject' | 'rest';

/**
 * readUntil: everything up to and including `delimiter`, at most `maxLength` bytes. Without the
 * delimiter in the first `maxLength` bytes: `limitOverrun`, nothing consumed. At end of stream
 * without it: `incompleteRead` (bytes stay), or with 'rest' the remaining bytes (null if none).
 * As a line (`asLine`, readLine), it resolves with the text instead, decoded from the chunk.
 */
export class DelimitedRead extends PendingRead<Uint8Array | string | null> {
  declare readonly delimiter: Uint8Array;
  declare readonly atEOF: AtEOFWithoutDelimiter;
  declare readonly asLine: boolean;
  /** Bytes already searched: the next search starts where a delimiter could newly end. */
  declare private searched: number;

  constructor(name: string, port: ReadPort, timeout: number, signal: AbortSignalLike | undefined,
    delimiter: Uint8Array, maxLength: number, atEOF: AtEOFWithoutDelimiter, asLine = false) {
    // `maxLength` is the read's `need`.
    super(name, port, timeout, signal, maxLength);
    this.delimiter = delimiter;
    this.atEOF = atEOF;
    this.asLine = asLine;
    this.searched = 0;
  }

  protected finish(state: ReadState): boolean {
    const { buffer } = state;
    const { delimiter, need: maxLength } = this;
    const at = buffer.indexOf(delimiter, this.searched, maxLength);
    if (at >= 0) {
      const count = at + delimiter.length;
      const data = this.asLine ? buffer.takeLine(count) : buffer.takeExactly(count);
      if (state.eofReceived && buffer.length === 0) state.deliveredEOF();
      this.resolve(data);
      return true;
    }
    if (buffer.length >= maxLength) {
      this.reject(streamTaskError('limitOverrun', this.context,
        `no delimiter within maxLength (${maxLength} bytes); nothing was consumed`, { expectedLength: maxLength }));
      return true;
    }
    this.searched = Math.max(0, buffer.length - delimiter.length + 1);
    if (state.eofReceived) {
      if (this.atEOF === 'rest') {
        const count = buffer.length;
        const rest = count === 0 ? null : this.asLine ? buffer.takeLine(count) : buffer.takeExactly(count);
        state.deliveredEOF();
        this.resolve(rest);
      } else {
        this.reject(incompleteRead(this.context, buffer.length, undefined));
      }
      return true;
    }
    return failed(state, this);
  }
}

function failed(state: ReadState, op: { reject(error: unknown): void }): boolean {
  if (state.error === null) return false;
  op.reject(state.error);
  return true;
}

function incompleteRead(context: ErrorContext, available: number, expected: number | undefined): StreamTaskError {
  const wanted = expected === undefined ? 'the delimiter' : `${expected} bytes`;
  return streamTaskError('incompleteRead', context,
    `end of stream after ${available} bytes, before ${wanted}; the bytes stay buffered`,
    { partialLength: available, ...(expected === undefined ? {} : { expectedLength: expected }) });
}

