/**
 * A task as `console.log` and `JSON.stringify` show it: its public state, never the machine's
 * fields (they hold sockets, buffers and timers). Owns that view only.
 */
import type { StreamTaskState } from '../types.js';
import type { TaskMachine } from './task-machine.js';

export interface TaskSummary {
  taskIdentifier: number;
  state: StreamTaskState;
  host: string;
  port: number;
  bytesSent: number;
  bytesReceived: number;
  error: string | null;
}

export function summary(task: TaskMachine): TaskSummary {
  const target = task.target();
  return {
    taskIdentifier: task.taskIdentifier,
    state: task.stateName(),
    host: target.host,
    port: target.port,
    bytesSent: task.bytesSent,
    bytesReceived: task.bytesReceived,
    error: task.failure?.code ?? null,
  };
}
