/**
 * Half-closing: closeRead() (no byte delivered any more) and closeWrite() (FIN once every write
 * before it went out). Owns when each side closes; the FIN itself is writing.ts's.
 */
import { CAPTURED, READ_CLOSED, READ_CLOSING, WRITE_CLOSING } from './flags.js';
import { announceReadClosed } from './announce.js';
import { updateFlow } from './bytes-in.js';
import { capturedError, writeRefusal } from './refusals.js';
import type { TaskMachine } from './task-machine.js';
import { endWrite } from './writing.js';

/** Runs on the read lane, in turn with the reads before it; it is also a pending operation of the task. */
export function closeRead(task: TaskMachine): Promise<void> {
  const closing = task.rare().closeReadPromise;
  if (closing !== null) return closing;
  if (task.failure !== null) return task.rejected(task.failure);
  if (task.has(CAPTURED)) return task.rejected(capturedError(task, 'closeRead'));
  task.setFlag(READ_CLOSING, true);
  const op = task.operation<void>('closeRead', 0, undefined, task.writeLane);
  task.sides.submit(() => {
    if (op.settled) return true;
    closeReadSide(task);
    op.resolve();
    return true;
  });
  task.setSeldom('closeReadPromise', op.promise);
  return op.promise;
}

/** No byte is delivered any more: buffered ones are dropped, later ones read and dropped. */
export function closeReadSide(task: TaskMachine): void {
  if (task.has(READ_CLOSED)) return;
  task.setFlag(READ_CLOSED, true);
  task.buffer.clear();
  task.reader = null;
  announceReadClosed(task);
  updateFlow(task);
  task.maybeComplete();
}

/** Runs on the write lane, after every write before it; writes after it are refused at once. */
export function closeWrite(task: TaskMachine): Promise<void> {
  const closing = task.rare().closeWritePromise;
  if (closing !== null) return closing;
  const refusal = writeRefusal(task, 'closeWrite');
  if (refusal !== null) return task.rejected(refusal);
  task.setFlag(WRITE_CLOSING, true);
  const op = task.operation<void>('closeWrite', 0, undefined, task.writeLane);
  // No later write may join a batch sent before the FIN.
  task.openBatch = null;
  task.writeLane.submit(() => {
    if (op.settled) return true;
    if (task.failure !== null) {
      op.reject(task.failure);
      return true;
    }
    endWrite(task, op);
    return true;
  });
  task.setSeldom('closeWritePromise', op.promise);
  return op.promise;
}
