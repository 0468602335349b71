/**
 * What each kind of read does when bytes arrive: an `attempt` that finishes the read from the
 * buffer when it can (and says so), or leaves everything as it is. Attempts never take bytes
 * they do not return, so a read that is interrupted or fails leaves the buffer untouched.
 */
import { streamTaskError, type ErrorContext, type StreamTaskError } from './errors.js';
import type { ReadBuffer } from './read-buffer.js';
import type { ReadResult } from './types.js';

/** The read side as a read sees it. */
export interface ReadState {
  readonly buffer: ReadBuffer;
  readonly eofReceived: boolean;
  readonly error: StreamTaskError | null;
  /** Called when a read hands out the last byte before end of stream. */
  deliveredEOF(): void;
}

/** Settles a read; returns true when it did. */
export type Attempt = () => boolean;

interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Where errors get their context from, only when one is made. */
interface Described {
  readonly context: ErrorContext;
}

const EMPTY = new Uint8Array(0);

/** readData: at least `min`, at most `max`; the rest with atEOF at end of stream. */
export function readDataAttempt(state: ReadState, op: Settle<ReadResult>, min: number, max: number): Attempt {
  return () => {
    const { buffer } = state;
    const buffered = buffer.length;
    if (buffered >= min || state.eofReceived) {
      const data = buffered === 0 ? EMPTY : buffer.take(Math.min(min, buffered), max);
      const atEOF = state.eofReceived && buffer.length === 0;
      if (atEOF) state.deliveredEOF();
      op.resolve({ data, atEOF });
      return true;
    }
    return failed(state, op);
  };
}

/** readExactly: `count` bytes; at end of stream `incompleteRead`, the bytes staying buffered. */
export function readExactlyAttempt(state: ReadState, op: Settle<Uint8Array>, count: number, described: Described): Attempt {
  return () => {
    const { buffer } = state;
    if (buffer.length >= count) {
      const data = buffer.takeExactly(count);
      if (state.eofReceived && buffer.length === 0) state.deliveredEOF();
      op.resolve(data);
      return true;
    }
    if (state.eofReceived) {
      op.reject(incompleteRead(described.context, buffer.length, count));
      return true;
    }
    return failed(state, op);
  };
}

/** What a delimited read does at end of stream without the delimiter. */
export type AtEOFWithoutDelimiter = 'reject' | 'rest';

/**
 * readUntil: everything up to and including `delimiter`, at most `maxLength` bytes. Without the
 * delimiter in the first `maxLength` bytes: `limitOverrun`, nothing consumed. At end of stream
 * without it: `incompleteRead` (bytes stay), or with 'rest' the remaining bytes (null if none).
 */
export function readUntilAttempt(
  state: ReadState,
  op: Settle<Uint8Array | null>,
  delimiter: Uint8Array,
  maxLength: number,
  described: Described,
  atEOF: AtEOFWithoutDelimiter,
): Attempt {
  let searched = 0;
  return () => {
    const { buffer } = state;
    const at = buffer.indexOf(delimiter, searched, maxLength);
    if (at >= 0) {
      const data = buffer.takeExactly(at + delimiter.length);
      if (state.eofReceived && buffer.length === 0) state.deliveredEOF();
      op.resolve(data);
      return true;
    }
    if (buffer.length >= maxLength) {
      op.reject(streamTaskError('limitOverrun', described.context,
        `no delimiter within maxLength (${maxLength} bytes); nothing was consumed`, { expectedLength: maxLength }));
      return true;
    }
    // Next time, search only where a delimiter could newly end.
    searched = Math.max(0, buffer.length - delimiter.length + 1);
    if (state.eofReceived) {
      if (atEOF === 'rest') {
        const rest = buffer.length === 0 ? null : buffer.takeExactly(buffer.length);
        state.deliveredEOF();
        op.resolve(rest);
      } else {
        op.reject(incompleteRead(described.context, buffer.length, undefined));
      }
      return true;
    }
    return failed(state, op);
  };
}

function failed(state: ReadState, op: Settle<never>): boolean {
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
