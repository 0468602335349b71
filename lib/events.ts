/** The events a task dispatches (the task is an EventTarget). */
import type { StreamTaskError } from './errors.js';
import type { TaskMetrics } from './types.js';

/** Dispatched last, once, when the task completes. */
export class StreamTaskCompleteEvent extends Event {
  /** Why the task ended, or null when both sides closed cleanly. */
  readonly error: StreamTaskError | null;
  /** The task's metrics at completion. */
  readonly metrics: TaskMetrics;

  constructor(error: StreamTaskError | null, metrics: TaskMetrics) {
    super('complete');
    this.error = error;
    this.metrics = metrics;
  }
}

/** The events of a task, by name, for typed `addEventListener`. */
export interface StreamTaskEventMap {
  /** `task.state` changed. */
  statechange: Event;
  /** The connection opened (`task.opened` resolved). */
  open: Event;
  /** No byte will be delivered any more: our closeRead(), or the peer's FIN arrived. */
  readclosed: Event;
  /** Our FIN was sent (closeWrite() finished). */
  writeclosed: Event;
  /** The task completed; carries the error (or null) and the metrics. */
  complete: StreamTaskCompleteEvent;
}
