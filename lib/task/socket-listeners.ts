/**
 * The listeners on a task's socket: its chunks, end, errors and close, shared by every task (the
 * socket names its task), so an open task carries no closures for them. Owns the wiring; what each event means is its part's.
 */
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { fromSystemError } from '../errors.js';
import { socketReads } from '../io/socket-reads.js';
import { NODE_ONREAD } from '../runtime.js';
import { onBytes, onEnd } from './bytes-in.js';
import { connectFailed, connectOperation, onConnect } from './connecting.js';
import { metricsTime } from './metrics.js';
import { socketClosed } from './ending.js';
import { CONNECTED } from './flags.js';
import type { TaskMachine } from './task-machine.js';

/** A socket of a task names its task, for the listeners all tasks share. */
const TASK = Symbol('streamtask.task');
type TaskSocket = net.Socket & { [TASK]?: TaskMachine };

/**
 * Node's own 'end' listener, which does something only on a socket that is not allowHalfOpen (it
 * makes later writes fail): as the only listener it is kept in the socket's events table as a
 * function, beside ours in an array made for the two (76 bytes per open task). A task's plain
 * socket is always allowHalfOpen, so where the listener is exactly that no-op (checked by its
 * source, once; Node 20 to 24) it is removed. Any other listener, runtime or Node stays as it is.
 */
const HALF_OPEN_NO_OP = 'functiononReadableStreamEnd(){if(!this.allowHalfOpen){this.write=writeAfterFIN;}}';
let noOpEndListener: ((...args: unknown[]) => void) | null | undefined;

function dropNoOpEndListener(socket: net.Socket): void {
  if (socket.allowHalfOpen !== true || socket.listenerCount('end') !== 1) return;
  const listener = socket.listeners('end')[0] as (...args: unknown[]) => void;
  if (noOpEndListener === undefined) noOpEndListener = String(listener).replace(/\s+/g, '') === HALF_OPEN_NO_OP ? listener : null;
  if (listener === noOpEndListener) socket.removeListener('end', listener);
}

/**
 * Listens to a socket's end, errors and close for as long as it is the task's socket: after a
 * TLS upgrade the plain socket's events no longer speak for the connection.
 */
function wire(task: TaskMachine, socket: net.Socket): void {
  (socket as TaskSocket)[TASK] = task;
  dropNoOpEndListener(socket);
  socket.on('end', onSocketEnd);
  socket.on('error', onSocketError);
  socket.on('close', onSocketClosed);
}

/**
 * The socket of an attempt to connect: its end, errors and close, its bytes by 'data' where there
 * is no Node `onread`, and until connected its lookup and connect. Shared by every task and
 * removed once connected: opening a connection makes no closure for them, and an open task keeps none.
 */
export function wirePlain(task: TaskMachine, socket: net.Socket): void {
  wire(task, socket);
  if (!NODE_ONREAD) socket.on('data', onPlainData);
  socket.on('lookup', onSocketLookup);
  socket.on('connect', onSocketConnect);
}

function onSocketLookup(this: TaskSocket): void {
  const task = this[TASK]!;
  if (this === task.socket) task.domainLookupEndDate = metricsTime();
}

function onSocketConnect(this: TaskSocket): void {
  this.off('lookup', onSocketLookup);
  this.off('connect', onSocketConnect);
  const task = this[TASK]!;
  if (this === task.socket) onConnect(task, this);
}

/** TLS is about to read the plain socket itself: its bytes are no longer the task's. */
export function releasePlainBytes(socket: net.Socket): void {
  socket.off('data', onPlainData);
}

/** A TLS socket over the plain one becomes the task's: its end, errors, close and records. */
export function adoptSecureSocket(task: TaskMachine, socket: tls.TLSSocket): void {
  task.socket = socket;
  wire(task, socket);
  socket.on('data', onSecureData);
}

/** One `onread` for every task's plain socket (see lib/io/socket-reads.ts); made on first use. */
let tcpReads: net.OnReadOpts | null = null;

/** The `onread` option of a task's plain socket; undefined where the runtime has no Node `onread` (runtime.ts). */
export function plainReads(): net.OnReadOpts | undefined {
  return NODE_ONREAD ? (tcpReads ??= socketReads(onTcpChunk)) : undefined;
}

/** Each chunk a plain socket read. */
function onTcpChunk(this: TaskSocket, chunk: Buffer): boolean {
  const task = this[TASK]!;
  const feed = task.rare().recordFeed;
  // pause(), not `return false`: that would stop reading but leave isPaused() false, and the
  // task and the TLS record feed resume by isPaused().
  if (!(feed === null ? onBytes(task, chunk) : feed.accept(chunk))) this.pause();
  return true;
}

/** Each chunk of a plain socket that reads through 'data'. */
function onPlainData(this: TaskSocket, chunk: Buffer): void {
  onTcpChunk.call(this, chunk);
}

function onSecureData(this: TaskSocket, chunk: Buffer): void {
  if (!onBytes(this[TASK]!, chunk)) this.pause();
}

function onSocketEnd(this: TaskSocket): void {
  const task = this[TASK]!;
  if (this === task.socket) onEnd(task);
}

function onSocketError(this: TaskSocket, error: Error): void {
  const task = this[TASK]!;
  if (this !== task.socket) return;
  if (task.has(CONNECTED)) task.fail(fromSystemError(error, task.context('stream'), 'networkConnectionLost'));
  else connectFailed(task, fromSystemError(error, task.context(connectOperation(task)), 'cannotConnectToHost'));
}

function onSocketClosed(this: TaskSocket): void {
  const task = this[TASK]!;
  if (this === task.socket) socketClosed(task);
}
