/**
 * The task as its operations see it (ReadState, ReadPort, WritePort), which is also its read lane.
 * It owns no state: it reads the machine's fields and calls its methods, and must not change the task otherwise.
 */
import type { ErrorContext, StreamTaskError } from '../errors.js';
import { Lane, type Later } from '../io/lane.js';
import type { PendingList } from '../io/operation.js';
import type { ReadBuffer } from '../io/read-buffer.js';
import type { ReadPort, Reader, ReadState } from '../io/read-ops.js';
import type { WriteOp, WritePort } from '../io/write-ops.js';
import { EOF_RECEIVED, READING } from './flags.js';
import { updateFlow } from './bytes-in.js';
import type { TaskMachine } from './task-machine.js';
import { sendOne } from './writing.js';

/**
 * The task as its reads and writes see it: one object whose methods live on its prototype,
 * so a task carries no closures for them (an idle task is smaller for it). It is also the
 * read lane, and so the list of pending reads (on failure they may still take bytes that had
 * arrived): one object where two would each cost a header and a field of the task.
 */
export class TaskSides extends Lane implements ReadState, ReadPort, WritePort {
  constructor(readonly task: TaskMachine) {
    super();
  }
  get state(): ReadState {
    return this;
  }
  get buffer(): ReadBuffer {
    return this.task.buffer;
  }
  get eofReceived(): boolean {
    return this.task.has(EOF_RECEIVED);
  }
  get error(): StreamTaskError | null {
    return this.task.failure;
  }
  get pendingReads(): PendingList {
    return this;
  }
  get pending(): PendingList {
    return this.task.writeLane;
  }
  deliveredEOF(): void {
    this.task.deliveredEOF();
  }
  contextOf(operation: string): ErrorContext {
    return this.task.context(operation);
  }
  wait(read: Reader): void {
    const task = this.task;
    task.reader = read;
    // A reader only ever makes the socket want more: if it is reading, nothing changes.
    if (!task.has(READING)) updateFlow(task);
  }
  stopWaiting(read: Reader): void {
    if (this.task.reader === read) this.task.reader = null;
    updateFlow(this.task);
  }
  afterRead(): void {
    // Taking bytes only ever makes the socket want more: if it is reading, nothing changes.
    if (!this.task.has(READING)) updateFlow(this.task);
  }
  sendOne(write: WriteOp): true | Later {
    return sendOne(this.task, write);
  }
}
