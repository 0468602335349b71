/**
 * A write: its promise and time limit (Operation), its bytes, whether they were handed to the
 * socket, and its step on the write lane. One object per write, so the hot path allocates little.
 */
import { StreamTaskError } from '../errors.js';
import type { Completion } from './lane.js';
import { Operation, type ContextOf, type PendingList } from './operation.js';
import type { AbortSignalLike } from '../validate.js';

/** What a write needs of the task. */
export interface WritePort extends ContextOf {
  /** Where pending writes are kept (the task interrupts them if it fails). */
  readonly pending: PendingList;
  /** The task's failure, if it failed (then an interrupted write's error stays as it is). */
  readonly error: StreamTaskError | null;
  /** Hands one write to the socket: done, or a completion once the socket drained. */
  sendOne(write: WriteOp): true | Completion;
}

export class WriteOp extends Operation<void, WritePort> {
  // Declared, not class fields, as in Operation: so that `new WriteOp()` inlines its super() call.
  declare readonly bytes: Uint8Array;
  /** Its bytes were handed to the socket (and will be sent even if it is interrupted now). */
  declare committed: boolean;

  constructor(port: WritePort, timeout: number, signal: AbortSignalLike | undefined, bytes: Uint8Array) {
    super('write', port, timeout, signal, port.pending);
    this.bytes = bytes;
    this.committed = false;
  }

  /** Its step when it goes alone (the first write of a tick, on an idle lane). */
  run(): true | Completion {
    return this.port.sendOne(this);
  }

  /** A time limit or an abort says whether the bytes went out (`committedBytes`). */
  override interrupt(error: StreamTaskError): void {
    if (this.settled) return;
    if (this.port.error !== null) {
      super.interrupt(error);
      return;
    }
    const what = this.committed
      ? `its ${this.bytes.length} bytes were already handed to the socket and will still be sent`
      : 'none of its bytes were sent';
    super.interrupt(new StreamTaskError(error.code, `${error.message}; ${what}`, {
      cause: error.cause,
      committedBytes: this.committed ? this.bytes.length : 0,
    }));
  }
}

