/**
 * A serial lane of operations (the task has one for reads, one for writes), on p-queue with
 * concurrency 1.
 *
 * A step is what an operation does when its turn comes. It returns `true` when it finished
 * synchronously, a `Later` that it finishes when done, or a promise that settles when the lane
 * may move on.
 *
 * Fast path: when the lane is open and nothing is queued or running, a step runs at once, without
 * a trip through p-queue. Ordering stays exact (nothing is ahead of it). If such a step finishes
 * later, p-queue is paused meanwhile so steps submitted behind it wait their turn, and a `Later`
 * frees the lane synchronously when it finishes: the next operation, submitted by the code the
 * finished one wakes, finds the lane idle and takes the fast path too.
 */
import PQueue from 'p-queue';
import { PendingList } from './operation.js';

/** Who is told when a completion finishes: a function, or an object (no closure to allocate). */
export type FinishListener = (() => void) | { stepFinished(): void };

/** Tells `listener` that a completion finished. */
export function notifyFinished(listener: FinishListener): void {
  if (typeof listener === 'function') listener();
  else listener.stepFinished();
}

/** Something that finishes later and says so synchronously (a `Later`, a waiting read). */
export interface Completion {
  /** Tells `listener` when finished (at once if it already is). One listener. */
  onFinish(listener: FinishListener): void;
}

/** A step's completion, signalled synchronously by `finish()`. */
export class Later implements Completion {
  #finished = false;
  #onFinish: FinishListener | undefined;

  get finished(): boolean {
    return this.#finished;
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const onFinish = this.#onFinish;
    this.#onFinish = undefined;
    if (onFinish !== undefined) notifyFinished(onFinish);
  }

  onFinish(listener: FinishListener): void {
    if (this.#finished) notifyFinished(listener);
    else this.#onFinish = listener;
  }

}

/** What a step returns: done now, a completion to wait for, or a promise. */
export type StepResult = true | Completion | Promise<unknown>;
/** A step as a function, or as an object (no closure to allocate per operation). */
export type Step = (() => StepResult) | { run(): StepResult };

function runStep(step: Step): StepResult {
  return typeof step === 'function' ? step() : step.run();
}

/** For p-queue, which waits on promises. */
function toPromise(result: StepResult): Promise<unknown> | undefined {
  if (result === true) return undefined;
  if (result instanceof Promise) return result;
  return new Promise<void>((resolve) => result.onFinish(resolve));
}

const noop = (): void => {};

/** Bits of Lane#flags. */
const OPEN = 1;
const STEPPING = 2;
const RUNNING = 4;

/**
 * A lane is also the list of its side's pending operations (PendingList: the head of a list
 * threaded through them), so a task carries no list objects of its own.
 */
export class Lane extends PendingList {
  /** Made on first need: most operations take the fast path, and an idle task stays small. */
  #pQueue: PQueue | undefined;
  /**
   * OPEN, STEPPING (a fast-path step is running synchronously), RUNNING (a fast-path step still
   * finishing; p-queue is paused until then). Tested with plain bit operations: a private
   * accessor costs a runtime call in V8 (Node 20), and these run for every read and write.
   */
  #flags = 0;

  /** Nothing queued, nothing running, and the lane is open. */
  get idle(): boolean {
    const queue = this.#pQueue;
    return (this.#flags & (OPEN | STEPPING | RUNNING)) === OPEN && (queue === undefined || (queue.size === 0 && queue.pending === 0));
  }

  // Helper methods are TypeScript-private, not #private: a class with #methods gives each
  // instance a slot for its brand (8 bytes, measured), and every task has two lanes.
  private queue(): PQueue {
    if (this.#pQueue === undefined) {
      this.#pQueue = new PQueue({ concurrency: 1, autoStart: false });
      if ((this.#flags & (OPEN | RUNNING)) === OPEN) this.#pQueue.start();
    }
    return this.#pQueue;
  }

  /** Starts running steps (the connection is open). Steps submitted before wait until then. */
  open(): void {
    if ((this.#flags & OPEN) !== 0) return;
    this.#flags |= OPEN;
    if ((this.#flags & RUNNING) === 0) this.#pQueue?.start();
  }

  submit(step: Step): void {
    if (this.idle) {
      this.#flags |= STEPPING;
      let result: StepResult;
      try {
        result = runStep(step);
      } finally {
        this.#flags &= ~STEPPING;
      }
      if (result !== true) this.runUntil(result);
      return;
    }
    this.queue().add(() => toPromise(runStep(step))).catch(noop);
  }

  /**
   * Drops every queued step. Their operations must already be settled by the caller: p-queue
   * leaves the promises of cleared jobs pending forever (p-queue #239).
   */
  clear(): void {
    this.#pQueue?.clear();
  }

  /** Holds the queue while a fast-path step finishes. */
  private runUntil(result: Completion | Promise<unknown>): void {
    this.#flags |= RUNNING;
    this.#pQueue?.pause();
    if (result instanceof Promise) {
      const finished = (): void => this.stepFinished();
      result.then(finished, finished);
    } else {
      result.onFinish(this);
    }
  }

  /** A fast-path step finished: the queue may go on. (The lane is its steps' FinishListener.) */
  stepFinished(): void {
    this.#flags &= ~RUNNING;
    if ((this.#flags & OPEN) !== 0) this.#pQueue?.start();
  }
}
