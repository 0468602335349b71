/**
 * A serial lane of operations (the task has one for reads, one for writes), on p-queue with
 * concurrency 1.
 *
 * A step is what an operation does when its turn comes. It returns `true` when it finished
 * synchronously, or a promise that settles when the lane may move on. When the lane is open and
 * nothing is queued or running, a step runs at once without a trip through p-queue; that keeps
 * ordering exact (nothing is ahead of it) and saves a queue round per operation on the hot path.
 */
import PQueue from 'p-queue';

export type Step = () => true | Promise<unknown>;

const noop = (): void => {};

export class Lane {
  readonly #queue = new PQueue({ concurrency: 1, autoStart: false });
  #open = false;
  #stepping = false;

  /** Nothing queued, nothing running, and the lane is open. */
  get idle(): boolean {
    return this.#open && !this.#stepping && this.#queue.size === 0 && this.#queue.pending === 0;
  }

  /** Starts running steps (the connection is open). Steps submitted before wait until then. */
  open(): void {
    if (this.#open) return;
    this.#open = true;
    this.#queue.start();
  }

  submit(step: Step): void {
    if (this.idle) {
      this.#stepping = true;
      let result: true | Promise<unknown>;
      try {
        result = step();
      } finally {
        this.#stepping = false;
      }
      // The queue is idle, so p-queue starts this at once and holds everything after it.
      if (result !== true) this.#queue.add(() => result).catch(noop);
      return;
    }
    this.#queue.add(() => {
      const result = step();
      return result === true ? undefined : result;
    }).catch(noop);
  }

  /**
   * Drops every queued step. Their operations must already be settled by the caller: p-queue
   * leaves the promises of cleared jobs pending forever (p-queue #239).
   */
  clear(): void {
    this.#queue.clear();
  }
}
