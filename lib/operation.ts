/**
 * One pending operation of a task (a read, a write, a close…): its promise, its time limit and
 * its abort signal, wired in one place.
 *
 * Time limits and aborts are ours, not p-queue's: p-queue's would free the lane while the
 * operation still ran (see docs/decisions.md). Here an operation that times out or is aborted
 * settles at once, tells its owner through `onInterrupt` (so a read stops waiting and leaves its
 * bytes buffered), and the lane moves on only because the operation itself is over.
 */
import { cancelledError, StreamTaskError, timedOutError, type ErrorContext } from './errors.js';
import type { AbortSignalLike } from './validate.js';

const noop = (): void => {};

export interface OperationOptions {
  /** Milliseconds from the call; 0 for none. */
  timeout: number;
  signal: AbortSignalLike | undefined;
}

/** What the task needs of a pending operation to end it early. */
export interface Interruptible {
  readonly settled: boolean;
  interrupt(error: StreamTaskError): void;
}

export class Operation<T> implements Interruptible {
  readonly promise: Promise<T>;
  #settled = false;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #signal: AbortSignalLike | undefined;
  #onAbort: (() => void) | undefined;
  /**
   * Called once if the operation is interrupted (time limit, abort or cancel) before it finished.
   * It may return a more precise error to reject with (a write says how many bytes it committed).
   */
  onInterrupt: ((error: StreamTaskError) => StreamTaskError | void) | undefined;

  #owner: Set<Interruptible> | undefined;

  /** `owner` holds the operation while it is pending (the task rejects those on cancel). */
  constructor(readonly context: ErrorContext, options: OperationOptions, owner?: Set<Interruptible>) {
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Failures of a task must never surface as unhandled rejections: the same error is on
    // `task.error` and `task.closed`. The caller's own `await` still receives it.
    this.promise.catch(noop);

    const { signal, timeout } = options;
    if (owner !== undefined) {
      this.#owner = owner;
      owner.add(this);
    }
    if (signal?.aborted) {
      this.interrupt(cancelledError(context, signal.reason));
      return;
    }
    if (timeout > 0) {
      // Made now, so its stack points at the caller, not at a timer callback.
      const error = timedOutError(context, timeout);
      this.#timer = setTimeout(() => this.interrupt(error), timeout);
    }
    if (signal !== undefined) {
      this.#signal = signal;
      this.#onAbort = () => this.interrupt(cancelledError(context, signal.reason));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  get settled(): boolean {
    return this.#settled;
  }

  resolve(value: T): void {
    if (this.#settle()) this.#resolve(value);
  }

  reject(error: unknown): void {
    if (this.#settle()) this.#reject(error);
  }

  /** Ends the operation early (time limit, abort, cancel); its owner is told first. */
  interrupt(error: StreamTaskError): void {
    if (this.#settled) return;
    const onInterrupt = this.onInterrupt;
    this.onInterrupt = undefined;
    this.reject(onInterrupt?.(error) ?? error);
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#signal!.removeEventListener('abort', this.#onAbort);
    this.#timer = undefined;
    this.#signal = undefined;
    this.#onAbort = undefined;
    this.onInterrupt = undefined;
    this.#owner?.delete(this);
    this.#owner = undefined;
    return true;
  }
}
