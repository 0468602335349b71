/**
 * The task's yes-or-no state as bits of one number (TaskMachine.flags), and its state in two of
 * them. Only names and values: what each bit means for the task is task-machine.ts's.
 */
import type { StreamTaskState } from '../types.js';

/** Bits of TaskMachine.flags. */
/** Secure, or becoming so (set when startSecureConnection() is called, cleared by stop). */
export const SECURED = 1 << 0;
/** The secure connection was made with `allowStop`, so stopSecureConnection() can undo it. */
export const STOPPABLE = 1 << 1;
/** stopSecureConnection() is waiting for the peer's close_notify: read on past readBufferSize. */
export const STOPPING_TLS = 1 << 2;
export const SOCKET_CLOSED = 1 << 3;
export const STARTED = 1 << 4;
export const CONNECTED = 1 << 5;
/** Whether the socket is reading (Node starts reading once connected). */
export const READING = 1 << 6;
/** Tearing down: the task completes when the socket has closed. */
export const FINISHING = 1 << 7;
export const EOF_RECEIVED = 1 << 8;
export const EOF_DELIVERED = 1 << 9;
export const READ_CLOSING = 1 << 10;
export const READ_CLOSED = 1 << 11;
export const READ_CLOSED_ANNOUNCED = 1 << 12;
export const WRITE_CLOSED_ANNOUNCED = 1 << 13;
export const WRITE_CLOSING = 1 << 14;
export const WRITE_CLOSED = 1 << 15;
/** captureStreams() was called: the task's own reads, writes and closes are refused. */
export const CAPTURED = 1 << 16;
export const WAITING_ANNOUNCED = 1 << 17;
export const PROGRESS_WANTED = 1 << 18;
export const BETTER_ROUTE_WANTED = 1 << 19;
/** The connection opened (before any failure): `opened` resolves. */
export const OPENED = 1 << 20;
/** The task's state: its index in STATES, in two bits. */
export const STATE_SHIFT = 22;
export const STATE_BITS = 3 << STATE_SHIFT;
export const STATES: readonly StreamTaskState[] = ['suspended', 'running', 'canceling', 'completed'];
export const SUSPENDED = 0 << STATE_SHIFT;
export const RUNNING = 1 << STATE_SHIFT;
export const COMPLETED = 3 << STATE_SHIFT;
