/**
 * Running one action between the operations of both lanes (TLS start and stop, capture): after
 * everything enqueued before it, before anything after. Owns that barrier only; the action is the caller's.
 */
import type { Operation } from '../io/operation.js';
import type { TaskMachine } from './task-machine.js';

/**
 * Runs `action` once every operation enqueued before on both lanes has finished; both lanes
 * wait until it has run. (Apple's "completes any enqueued reads and writes, then …".)
 */
export function afterEnqueued(
  task: TaskMachine,
  op: Pick<Operation<unknown>, 'settled' | 'onInterrupt' | 'reject'>,
  action: () => void | Promise<void>,
): void {
  let arrived = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const arrive = (): Promise<void> => {
    if (++arrived < 2) return released;
    if (op.settled) {
      release();
      return released;
    }
    if (task.failure !== null) {
      op.reject(task.failure);
      release();
      return released;
    }
    Promise.resolve()
      .then(action)
      .catch((error: unknown) => op.reject(error))
      .finally(release);
    return released;
  };
  op.onInterrupt = () => release();
  task.sides.submit(arrive);
  // Writes after this wait for it: none may join a batch sent before it.
  task.openBatch = null;
  task.writeLane.submit(arrive);
}
