/**
 * Small writes to an idle plain socket, given to the kernel within write(). Owns only the
 * question "may this write go at once, and did it?"; what a write resolves is the task's.
 */
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { DIRECT_WRITE_MAX_BYTES } from '../constants.js';

/** The empty write that reports when the writes before it finished. */
export const NO_BYTES = new Uint8Array(0);

/**
 * Nothing queued on a plain socket: libuv hands a small write to the kernel within write(),
 * and written without a callback it costs Node no nextTick afterwards. If bytes are still
 * queued after all (the kernel's buffer was full) or the socket failed (tookAll), an empty
 * write with the callback follows it: Node completes a socket's writes in order. (Not for TLS:
 * Node completes every TLS write later, so the empty write would always be needed.)
 */
export function mayWriteAtOnce(socket: net.Socket, length: number): boolean {
  return length <= DIRECT_WRITE_MAX_BYTES && socket.writableLength === 0 && (socket as tls.TLSSocket).encrypted !== true;
}

/** After a write mayWriteAtOnce allowed: whether the kernel took it all (a write that failed at once leaves nothing queued too, but marks the socket errored). */
export function tookAll(socket: net.Socket): boolean {
  return socket.writableLength === 0 && socket.errored === null && !socket.destroyed;
}
