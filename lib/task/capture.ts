/**
 * captureStreams(): hands a task's connection over as a WHATWG stream pair. Owns the hand-over
 * and the port the streams reach the task through; the streams are adapters/web-streams.ts's.
 */
import { createCapturedStreams, type CapturedStreams, type CapturePort } from '../adapters/web-streams.js';
import { STREAM_WRITE_HIGH_WATER_MARK } from '../constants.js';
import { invalidStateError } from '../errors.js';
import { exclusiveChunks, readDirectly } from '../io/socket-reads.js';
import { mayWriteAtOnce } from '../io/socket-writes.js';
import { NODE_ONREAD } from '../runtime.js';
import { StreamTaskStreamsEvent } from './events.js';
import { CAPTURED, EOF_RECEIVED, PROGRESS_WANTED, READ_CLOSED, SECURED, WRITE_CLOSED } from './flags.js';
import { mayHaveListeners } from './lazy-event-target.js';
import { noteProgress } from './progress.js';
import { updateFlow } from './bytes-in.js';
import type { TaskMachine } from './task-machine.js';
import { endWrite, writeUnlessWaiting } from './writing.js';
import { callDelegate } from './announce.js';
import { capturedError } from './refusals.js';
import { afterEnqueued } from './after-enqueued.js';
import { closeReadSide } from './half-close.js';

/**
 * Hands the connection over, once every read and write enqueued before has completed (see
 * StreamTask.captureStreams).
 */
export function captureStreams(task: TaskMachine): Promise<CapturedStreams> {
  if (task.failure !== null) return task.rejected(task.failure);
  if (task.has(CAPTURED)) return task.rejected(capturedError(task, 'captureStreams'));
  task.setFlag(CAPTURED, true);
  const op = task.operation<CapturedStreams>('captureStreams', 0, undefined, task.writeLane);
  afterEnqueued(task, op, () => {
    // For a socket read through `onread` (plain, or TLS tls.connect opened); a TLS socket that
    // reads by 'data' gives each chunk its own memory anyway, and ignores the mark.
    if (task.socket !== null) exclusiveChunks(task.socket);
    const streams = createCapturedStreams(capturePort(task), STREAM_WRITE_HIGH_WATER_MARK);
    op.resolve(streams);
    if (mayHaveListeners(task)) task.dispatchEvent(new StreamTaskStreamsEvent(streams));
    callDelegate(task, 'didBecomeStreams', streams);
  });
  return op.promise;
}

/** What the captured streams need of the task. */
function capturePort(task: TaskMachine): CapturePort {
  const state = task.sides;
  return {
    buffer: task.buffer,
    get eofReceived() {
      return state.eofReceived;
    },
    get error() {
      return state.error;
    },
    get readClosed() {
      return task.has(READ_CLOSED);
    },
    waitForBytes: () => new Promise<void>((resolve) => {
      const ready = (): boolean => task.buffer.length > 0 || task.has(EOF_RECEIVED) || task.failure !== null || task.has(READ_CLOSED);
      if (ready()) {
        resolve();
        return;
      }
      task.reader = {
        attempt: () => {
          if (!ready()) return false;
          resolve();
          return true;
        },
        need: 1,
        done: () => {},
      };
      updateFlow(task);
    }),
    afterRead: () => updateFlow(task),
    deliveredEOF: () => task.deliveredEOF(),
    closeRead: () => closeReadSide(task),
    readDirectly: (take) => {
      const socket = task.socket;
      // Only a socket that reads through Node's onread can hand its reads over (runtime.ts).
      if (!NODE_ONREAD || task.has(SECURED) || socket === null) return;
      readDirectly(socket, take === null ? null : (source, count) => {
        if (task.has(READ_CLOSED) || task.rare().recordFeed !== null) return 0;
        const taken = take(source, count);
        if (taken > 0) {
          task.bytesReceived += taken;
          if (task.has(PROGRESS_WANTED)) noteProgress(task);
        }
        return taken;
      });
    },
    write: (bytes) => {
      if (task.failure !== null) return Promise.reject(task.failure);
      if (task.has(WRITE_CLOSED)) return Promise.reject(invalidStateError(task.context('write'), 'the writable was closed'));
      return writeUnlessWaiting(task, task.socket!, bytes);
    },
    writeAtOnce: (bytes) => {
      const socket = task.socket;
      if (task.failure !== null || task.has(WRITE_CLOSED) || socket === null || !mayWriteAtOnce(socket, bytes.length)) return false;
      return writeUnlessWaiting(task, socket, bytes) ?? true;
    },
    closeWrite: () => {
      const op = task.operation<void>('closeWrite', 0, undefined, task.writeLane);
      if (task.failure !== null) op.reject(task.failure);
      else endWrite(task, op);
      return op.promise;
    },
    abort: (reason) => task.cancelWith(reason, true),
  };
}
