/**
 * One pending operation of a task (a read, a write, a close…): its promise, its time limit and
 * its abort signal, wired in one place.
 *
 * Time limits and aborts are ours, not p-queue's: p-queue's would free the lane while the
 * operation still ran (see docs/decisions.md). Here an operation that times out or is aborted
 * settles at once, tells its owner through `onInterrupt` (so a read stops waiting and leaves its
 * bytes buffered), and the lane moves on only because the operation itself is over.
 *
 * The hot path is an operation that finishes at once (a read from buffered bytes, a write the
 * kernel takes): it costs one promise, its executor and this object. Its error context, its
 * timer and its abort listener are made only when needed (`watch()` after the operation did not
 * finish at once).
 */
import { cancelledError, StreamTaskError, timedOutError, type ErrorContext } from '../errors.js';
import type { AbortSignalLike } from '../validate.js';

const noop = (): void => {};

/** What the task needs of a pending operation to end it early. */
export interface Interruptible {
  readonly settled: boolean;
  interrupt(error: StreamTaskError): void;
}

/** Makes the error context of an operation (host, port, operation name) when an error needs it. */
export interface ContextOf {
  contextOf(operation: string): ErrorContext;
}

/**
 * The pending operations of a task (the task interrupts them all if it fails or is cancelled):
 * a list threaded through the operations themselves, so adding and removing one allocates
 * nothing, and an idle task holds no table.
 */
export class PendingList {
  head: PendingLink | null = null;

  /** The operations pending now, oldest first (a copy: interrupting one removes it). */
  toArray(): Interruptible[] {
    const out: Interruptible[] = [];
    for (let op = this.head; op !== null; op = op.nextPending) out.push(op);
    return out.reverse();
  }
}

/** An operation as a member of a PendingList. */
interface PendingLink extends Interruptible {
  nextPending: PendingLink | null;
  previousPending: PendingLink | null;
}

/**
 * Fields are declared (`declare`) and all assigned in the constructor, not class fields: V8
 * (Node 20) does not inline a super() call into a class with field initializers, and every read
 * and write constructs a subclass of this one (measured: about a third slower per operation).
 * They are TypeScript-private for the same reason (a `#field` is a class field).
 */
export class Operation<T, P extends ContextOf = ContextOf> implements PendingLink {
  declare readonly name: string;
  declare readonly promise: Promise<T>;
  declare private isSettled: boolean;
  declare private resolveWith: (value: T) => void;
  declare private rejectWith: (error: unknown) => void;
  declare private timeout: number;
  declare private timer: NodeJS.Timeout | undefined;
  declare private signal: AbortSignalLike | undefined;
  declare private onAbort: (() => void) | undefined;
  declare private errorContext: ErrorContext | undefined;
  /** What made it: its error context comes from here, and a subclass's steps use it too. */
  declare protected readonly port: P;
  /**
   * Called once if the operation is interrupted (time limit, abort or cancel) before it finished.
   * It may return a more precise error to reject with (a write says how many bytes it committed).
   */
  declare onInterrupt: ((error: StreamTaskError) => StreamTaskError | void) | undefined;
  declare private owner: PendingList | undefined;
  /** Links in the owner's PendingList (newest first). */
  declare nextPending: PendingLink | null;
  declare previousPending: PendingLink | null;

  /**
   * `timeout` is in milliseconds from the call, 0 for none. `owner` holds the operation while it
   * is pending (the task rejects those on cancel). A signal that is already aborted settles it at
   * once; the time limit and later aborts count only after `watch()`.
   */
  constructor(name: string, port: P, timeout: number, signal: AbortSignalLike | undefined, owner?: PendingList) {
    this.name = name;
    this.isSettled = false;
    // Set before the executor sets them, so the object keeps one shape. The executor stores into
    // this young object: storing the functions into a shared, old slot instead costs a write
    // barrier each (measured: a closure here is half the cost per operation).
    this.resolveWith = noop;
    this.rejectWith = noop;
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolveWith = resolve;
      this.rejectWith = reject;
    });
    this.timeout = timeout;
    this.timer = undefined;
    this.signal = signal;
    this.onAbort = undefined;
    this.errorContext = undefined;
    this.port = port;
    this.onInterrupt = undefined;
    this.owner = owner;
    this.previousPending = null;
    if (owner !== undefined) {
      const head = owner.head;
      this.nextPending = head;
      if (head !== null) head.previousPending = this;
      owner.head = this;
    } else {
      this.nextPending = null;
    }
    // Not interrupt(): a subclass's override would run before its own fields exist.
    if (signal?.aborted) this.reject(cancelledError(this.context, signal.reason));
  }

  /** Host, port and operation name, for errors. */
  get context(): ErrorContext {
    return (this.errorContext ??= this.port.contextOf(this.name));
  }

  get settled(): boolean {
    return this.isSettled;
  }

  /**
   * Starts the time limit and listens for the abort signal. Called once the operation did not
   * finish at once; the limit still counts from the call (the gap is synchronous).
   */
  watch(): void {
    if (this.isSettled) return;
    const signal = this.signal;
    if (this.timeout > 0) {
      const timeout = this.timeout;
      this.timer = setTimeout(() => this.interrupt(timedOutError(this.context, timeout)), timeout);
    }
    if (signal !== undefined) {
      const onAbort = (): void => this.interrupt(cancelledError(this.context, signal.reason));
      this.onAbort = onAbort;
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  resolve(value: T): void {
    if (this.settle()) this.resolveWith(value);
  }

  reject(error: unknown): void {
    if (!this.settle()) return;
    // Failures of a task must never surface as unhandled rejections: the same error is on
    // `task.error` and `task.closed`. The caller's own `await` still receives it.
    this.promise.catch(noop);
    this.rejectWith(error);
  }

  /** Ends the operation early (time limit, abort, cancel); its owner is told first. */
  interrupt(error: StreamTaskError): void {
    if (this.isSettled) return;
    const onInterrupt = this.onInterrupt;
    this.onInterrupt = undefined;
    this.reject(onInterrupt?.(error) ?? error);
  }

  private settle(): boolean {
    if (this.isSettled) return false;
    this.isSettled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.signal!.removeEventListener('abort', this.onAbort);
    this.timer = undefined;
    this.signal = undefined;
    this.onAbort = undefined;
    this.onInterrupt = undefined;
    const owner = this.owner;
    if (owner !== undefined) {
      const { previousPending, nextPending } = this;
      if (previousPending === null) owner.head = nextPending;
      else previousPending.nextPending = nextPending;
      if (nextPending !== null) nextPending.previousPending = previousPending;
      this.previousPending = null;
      this.nextPending = null;
      this.owner = undefined;
    }
    return true;
  }
}
