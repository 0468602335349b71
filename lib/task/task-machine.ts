/**
 * What a StreamTask does: one TCP connection, read and written through promises. It owns the
 * task's state and behaviour; the public names and their documentation are stream-task.ts's.
 *
 * Reads run one at a time in order on the read lane, writes one at a time in order on the write
 * lane; the lanes do not wait for each other. Bytes that arrive go into the read buffer; a read
 * takes from it, so a read that times out or is aborted leaves every byte there for the next one.
 */
import type net from 'node:net';
import { inspect, type InspectOptionsStylized } from 'node:util';
import type tls from 'node:tls';
import type { CapturedStreams } from '../adapters/web-streams.js';
import type dns from 'node:dns';
import type { Route } from '../connect/preamble.js';
import type { ServiceDescriptor, ServiceTarget } from '../connect/service.js';
import type { SecureConnectionInfo, TLSOptions } from '../tls/secure.js';
import type { ResolvedConfiguration } from '../configuration.js';
import { Deferred } from '../io/deferred.js';
import {
  cancelledError,
  fromSystemError,
  invalidStateError,
  StreamTaskError,
  type ErrorContext,
} from '../errors.js';
import {
  type StreamTaskDelegate,
} from './events.js';
import { Lane } from '../io/lane.js';
import { mayHaveListeners, TaskEventTarget } from './lazy-event-target.js';
import { snapshotMetrics, type Timeline } from './metrics.js';
import type { DelimitedReadOptions, StreamTask } from './stream-task.js';
import { onBytes, onEnd, updateFlow, wakeReader } from './bytes-in.js';
import { captureStreams } from './capture.js';
import { watchRoute } from './progress.js';
import { closedPromise, decideResults, openedPromise } from './results.js';
import { chunks, lines, readData, readExactly, readLine, readUntil } from './reading.js';
import { endWrite, enqueueWrite, type WriteBatch } from './writing.js';
import { socketClosed, teardown } from './ending.js';
import { connectFailed, connectOperation, startConnecting } from './connecting.js';
import { startSecureConnection, stopSecureConnection } from './tls-switch.js';
import { Seldom, SELDOM_DEFAULTS } from './seldom.js';
import type { LiveList, TaskList } from './task-list.js';
import { TaskSides } from './task-sides.js';
import {
  BETTER_ROUTE_WANTED,
  CAPTURED,
  COMPLETED,
  CONNECTED,
  EOF_DELIVERED,
  FINISHING,
  PROGRESS_WANTED,
  READING,
  READ_CLOSED,
  READ_CLOSED_ANNOUNCED,
  READ_CLOSING,
  RUNNING,
  SECURED,
  STARTED,
  STATE_BITS,
  STATE_SHIFT,
  STATES,
  STOPPABLE,
  SUSPENDED,
  WRITE_CLOSED,
  WRITE_CLOSED_ANNOUNCED,
  WRITE_CLOSING,
} from './flags.js';

import { WriteOp } from '../io/write-ops.js';
import { Operation, type PendingList } from '../io/operation.js';
import { ReadBuffer } from '../io/read-buffer.js';
import { socketReads } from '../io/socket-reads.js';
import type { Reader } from '../io/read-ops.js';
import type {
  AbortSignalLike,
  ConnectionInfo,
  OperationOptions,
  ReadOptions,
  ReadResult,
  StreamTaskState,
  TaskMetrics,
  WritableData,
  WriteOptions,
} from '../types.js';
import { bytesArgument, optionsArgument, signalArgument, timeoutArgument } from '../validate.js';

/** What the session hands a new task. Not public: create tasks with `session.streamTask()`. */
export interface StreamTaskInit {
  taskIdentifier: number;
  host: string;
  port: number;
  configuration: ResolvedConfiguration;
  signal: AbortSignalLike | undefined;
  taskDescription: string | undefined;
  /** The session's list of live tasks: the task joins it now and leaves it when it completes. */
  list: TaskList | null;
  delegate: StreamTaskDelegate<StreamTask> | undefined;
  /** TLS from the first byte, with these settings; null for plain TCP. */
  tlsAtStart: TLSOptions | null;
  /** Where TCP connects and what runs before the lanes open; null: straight to host and port. */
  route: Route | null;
  /** Connect to this service's SRV targets instead of host and port. */
  service: ServiceDescriptor | null;
  /** Resolves names and SRV records (a configured DNS server); null: the system's. */
  resolver: dns.promises.Resolver | null;
}





/** A socket of a task names its task, for the listeners all tasks share. */
const TASK = Symbol('streamtask.task');
type TaskSocket = net.Socket & { [TASK]?: TaskMachine };





/**
 * Everything a StreamTask does; `StreamTask` (stream-task.ts) is its public face and its TSDoc.
 * One object per task: the facade is this class under a type that shows only the public API.
 */
export class TaskMachine extends TaskEventTarget {

  // Fields in the order V8 lays them out: first those that every chunk and every read or write
  // touches, so they share one or two cache lines (decrypting a TLS record evicts the first-level
  // cache, so each line touched after it is a miss; cachegrind: 832 -> 818 read misses per
  // record with this order, a hand-written promise reader 789).
  /**
   * The task's yes-or-no state, one bit each in one field (twenty booleans would take a field
   * each), read with has() and written with setFlag(). Not private accessors: V8 (Node 20) calls
   * into the runtime for every use of one, and these are read on every chunk and every read.
   */
  flags = READING;
  /** See Seldom: made the first time one of its fields leaves its default. */
  seldom: Seldom | null = null;
  readonly buffer = new ReadBuffer();
  reader: Reader | null = null;
  /** The task as its operations see it (see TaskSides). */
  readonly sides = new TaskSides(this);
  failure: StreamTaskError | null = null;
  socket: net.Socket | null = null;
  bytesReceived = 0;
  /** The write lane; also the list of every other pending operation (writes, closes…), which fail with the task. */
  readonly writeLane = new Lane();
  /** The batch of writes still taking more (see enqueueWrite()). */
  openBatch: WriteBatch | null = null;
  /** The tick (lib/io/tick.ts) in which a write last went to the socket at once; later ones of it are batched. */
  wroteInTick = -1;
  bytesSent = 0;
  readonly configuration: ResolvedConfiguration;

  readonly taskIdentifier: number;
  readonly givenHost: string;
  readonly givenPort: number;
  /** The session's list of live tasks while this one is in it (see TaskList), and its neighbours there. */
  list: LiveList | null = null;
  previousInList: TaskMachine | null = null;
  nextInList: TaskMachine | null = null;


  get taskDescription(): string | undefined {
    return this.rare().taskDescription;
  }

  set taskDescription(description: string | undefined) {
    this.setSeldom('taskDescription', description);
  }




  has(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }

  setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }


  /** Sets a field of Seldom, making the object only when the value is not the default. */
  setSeldom<K extends keyof Seldom>(key: K, value: Seldom[K]): void {
    if (this.seldom !== null) this.seldom[key] = value;
    else if (value !== SELDOM_DEFAULTS[key]) (this.seldom = new Seldom())[key] = value;
  }

  /** The rarely used fields, to read (the shared defaults if none was ever set). */
  rare(): Readonly<Seldom> {
    return this.seldom ?? SELDOM_DEFAULTS;
  }

  /** This task as its users see it (the same object: StreamTask is this class, typed as its API). */
  api(): StreamTask {
    return this as unknown as StreamTask;
  }



  /**
   * `opened` (and `closed`, kept in Seldom): nothing until asked (most tasks never ask for
   * `closed`), a Deferred while asked and undecided, then only its promise. What they settle to is the task's state
   * (OPENED and the addresses, `failure`, the state), so nothing needs keeping for them
   * before they are asked.
   */
  openedSlot: Deferred<ConnectionInfo> | Promise<ConnectionInfo> | null = null;
  /** The timeline and addresses (see Timeline in metrics.ts), as fields: no object per task. */
  fetchStartDate: number | null = null;
  domainLookupEndDate: number | null = null;
  connectEndDate: number | null = null;
  local: net.AddressInfo | null = null;
  remoteAddress = '';
  remotePort = 0;
  connectTimer: NodeJS.Timeout | undefined;


  /** @internal Create tasks with `session.streamTask()`. */
  constructor(init: StreamTaskInit) {
    super();
    this.taskIdentifier = init.taskIdentifier;
    this.taskDescription = init.taskDescription;
    this.givenHost = init.host;
    this.givenPort = init.port;
    this.configuration = init.configuration;
    this.setSeldom('tlsAtStart', init.tlsAtStart);
    this.setFlag(SECURED, init.tlsAtStart !== null);
    this.setFlag(STOPPABLE, init.tlsAtStart?.allowStop === true);
    this.setSeldom('route', init.route);
    this.setSeldom('service', init.service);
    this.setSeldom('resolver', init.resolver);
    this.setSeldom('delegate', init.delegate);
    this.setFlag(PROGRESS_WANTED, typeof init.delegate?.didUpdateProgress === 'function');
    this.setFlag(BETTER_ROUTE_WANTED, typeof init.delegate?.betterRouteDiscovered === 'function');
    const signal = init.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        queueMicrotask(() => this.cancel(signal.reason));
      } else {
        const onAbort = (): void => this.cancel(signal.reason);
        this.setSeldom('signal', signal);
        this.setSeldom('onSignalAbort', onAbort);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }
    // Last: a task joins its session's list only once it is fully made.
    (init.list as LiveList | null)?.add(this);
  }

  // ---- Public state -------------------------------------------------------------------------

  get state(): StreamTaskState {
    return this.stateName();
  }

  get error(): StreamTaskError | null {
    return this.failure;
  }

  get countOfBytesSent(): number {
    return this.bytesSent;
  }

  get countOfBytesReceived(): number {
    return this.bytesReceived;
  }

  get bufferedAmount(): number {
    return this.buffer.length;
  }

  get host(): string {
    return this.target().host;
  }

  get port(): number {
    return this.target().port;
  }

  get service(): ServiceDescriptor | null {
    return this.rare().service;
  }

  /** Where the connection goes now: the SRV target being tried, or host and port. */
  target(): ServiceTarget {
    return this.rare().targets?.[this.rare().targetIndex] ?? { host: this.givenHost, port: this.givenPort };
  }

  get opened(): Promise<ConnectionInfo> {
    return openedPromise(this);
  }

  get closed(): Promise<void> {
    return closedPromise(this);
  }



  /**
   * What `console.log(task)` shows: the public state, not the machine's fields (which are plain
   * properties, hidden from the published types only).
   */
  [inspect.custom](depth: number, options: InspectOptionsStylized): string {
    return `StreamTask ${inspect(this.toJSON(), { ...options, depth: depth < 0 ? null : depth })}`;
  }

  /** What `JSON.stringify(task)` gives: the public state (the machine's fields hold sockets). */
  toJSON(): { taskIdentifier: number; state: StreamTaskState; host: string; port: number; bytesSent: number; bytesReceived: number; error: string | null } {
    return {
      taskIdentifier: this.taskIdentifier,
      state: this.state,
      host: this.host,
      port: this.port,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      error: this.failure?.code ?? null,
    };
  }

  get metrics(): TaskMetrics {
    const seldom = this.rare();
    return snapshotMetrics(this.timeline(), seldom.secureTimeline, this.bytesSent, this.bytesReceived, seldom.route?.via != null);
  }

  timeline(): Timeline {
    return {
      fetchStartDate: this.fetchStartDate,
      domainLookupEndDate: this.domainLookupEndDate,
      connectEndDate: this.connectEndDate,
      local: this.local,
      remoteAddress: this.remoteAddress,
      remotePort: this.remotePort,
    };
  }

  // ---- Life -----------------------------------------------------------------------------------

  resume(): void {
    if (!this.inState(SUSPENDED)) return;
    this.setState('running');
    if (!this.has(STARTED)) {
      this.setFlag(STARTED, true);
      startConnecting(this);
    } else {
      updateFlow(this);
    }
  }

  suspend(): void {
    if (!this.inState(RUNNING)) return;
    this.setState('suspended');
    updateFlow(this);
  }

  cancel(reason?: unknown): void {
    this.cancelWith(reason, false);
  }

  /** Cancels; `reset` sends RST instead of FIN (a captured writable's abort()). */
  cancelWith(reason: unknown, reset: boolean): void {
    if (this.has(FINISHING) || this.inState(COMPLETED)) return;
    const error = cancelledError(this.context('task'), reason);
    this.failure = error;
    this.setFlag(FINISHING, true);
    this.setState('canceling');
    this.buffer.clear();
    for (const op of [...this.sides.toArray(), ...this.writeLane.toArray()]) op.interrupt(error);
    this.sides.clear();
    this.writeLane.clear();
    decideResults(this);
    wakeReader(this);
    if (reset && this.socket !== null && !this.socket.destroyed) this.socket.resetAndDestroy();
    teardown(this);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.inState(COMPLETED)) this.cancel();
    await this.closed.catch(() => {});
  }

  // ---- Reading (reading.ts) ------------------------------------------------------------------

  readData(options?: ReadOptions): Promise<ReadResult> {
    return readData(this, options);
  }

  readExactly(count: number, options?: OperationOptions): Promise<Uint8Array> {
    return readExactly(this, count, options);
  }

  readUntil(delimiter: string | Uint8Array, options?: DelimitedReadOptions): Promise<Uint8Array> {
    return readUntil(this, delimiter, options);
  }

  readLine(options?: DelimitedReadOptions): Promise<string | null> {
    return readLine(this, options);
  }

  lines(options?: DelimitedReadOptions): AsyncIterableIterator<string> {
    return lines(this, options);
  }

  chunks(options?: Omit<ReadOptions, 'minLength'>): AsyncIterableIterator<Uint8Array> {
    return chunks(this, options);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return chunks(this, undefined);
  }

  closeRead(): Promise<void> {
    const closing = this.rare().closeReadPromise;
    if (closing !== null) return closing;
    if (this.failure !== null) return this.rejected(this.failure);
    if (this.has(CAPTURED)) return this.rejected(this.capturedError('closeRead'));
    this.setFlag(READ_CLOSING, true);
    const op = this.operation<void>('closeRead', 0, undefined, this.writeLane);
    this.sides.submit(() => {
      if (op.settled) return true;
      this.closeReadSide();
      op.resolve();
      return true;
    });
    this.setSeldom('closeReadPromise', op.promise);
    return op.promise;
  }

  // ---- Writing --------------------------------------------------------------------------------

  write(data: WritableData, options?: WriteOptions): Promise<void> {
    let bytes: Uint8Array, timeout: number, signal: AbortSignalLike | undefined;
    try {
      bytes = bytesArgument('data', data);
      const given = optionsArgument<WriteOptions>('options', options);
      timeout = timeoutArgument('timeout', given.timeout);
      signal = signalArgument('signal', given.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    const refusal = this.writeRefusal('write');
    if (refusal !== null) return this.rejected(refusal);
    const write = this.refusedIfCancelled(new WriteOp(this.sides, timeout, signal, bytes));
    if (write.settled) return write.promise;
    enqueueWrite(this, write);
    write.watch();
    return write.promise;
  }

  closeWrite(): Promise<void> {
    const closing = this.rare().closeWritePromise;
    if (closing !== null) return closing;
    const refusal = this.writeRefusal('closeWrite');
    if (refusal !== null) return this.rejected(refusal);
    this.setFlag(WRITE_CLOSING, true);
    const op = this.operation<void>('closeWrite', 0, undefined, this.writeLane);
    this.openBatch = null;
    this.writeLane.submit(() => {
      if (op.settled) return true;
      if (this.failure !== null) {
        op.reject(this.failure);
        return true;
      }
      endWrite(this, op);
      return true;
    });
    this.setSeldom('closeWritePromise', op.promise);
    return op.promise;
  }

  // ---- TLS (tls-switch.ts) ---------------------------------------------------------------------

  startSecureConnection(tls?: TLSOptions): Promise<SecureConnectionInfo> {
    return startSecureConnection(this, tls);
  }

  stopSecureConnection(): Promise<void> {
    return stopSecureConnection(this);
  }

  /** A TLS socket over the plain one becomes the task's: its end, errors, close and records. */
  adoptSecureSocket(socket: tls.TLSSocket): void {
    this.socket = socket;
    this.wire(socket);
    socket.on('data', TaskMachine.onSecureData);
  }

  // ---- Streams --------------------------------------------------------------------------------

  captureStreams(): Promise<CapturedStreams> {
    return captureStreams(this);
  }

  /**
   * Runs `action` once every operation enqueued before on both lanes has finished; both lanes
   * wait until it has run. (Apple's "completes any enqueued reads and writes, then …".)
   */
  afterEnqueued(op: Pick<Operation<unknown>, 'settled' | 'onInterrupt' | 'reject'>, action: () => void | Promise<void>): void {
    let arrived = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const arrive = (): Promise<void> => {
      if (++arrived < 2) return released;
      if (op.settled) {
        release();
        return released;
      }
      if (this.failure !== null) {
        op.reject(this.failure);
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
    this.sides.submit(arrive);
    // Writes after this wait for it: none may join a batch sent before it.
    this.openBatch = null;
    this.writeLane.submit(arrive);
  }

  /** No byte is delivered any more: buffered ones are dropped, later ones read and dropped. */
  closeReadSide(): void {
    if (this.has(READ_CLOSED)) return;
    this.setFlag(READ_CLOSED, true);
    this.buffer.clear();
    this.reader = null;
    this.announceReadClosed();
    updateFlow(this);
    this.maybeComplete();
  }

  capturedError(operation: string): StreamTaskError {
    return invalidStateError(this.context(operation), 'the connection was handed over by captureStreams()');
  }

  // ---- Connecting (connecting.ts) ----------------------------------------------------------

  /**
   * Listens to a socket's end, errors and close for as long as it is the task's socket: after a
   * TLS upgrade the plain socket's events no longer speak for the connection.
   */
  wire(socket: net.Socket): void {
    (socket as TaskSocket)[TASK] = this;
    socket.on('end', TaskMachine.onSocketEnd);
    socket.on('error', TaskMachine.onSocketError);
    socket.on('close', TaskMachine.onSocketClosed);
  }

  // Socket listeners are shared by all tasks (`this` is the socket; it names its task), so an
  // open task carries no closures for them.

  /** Each chunk a plain socket read (its `onread`). */
  static onTcpChunk(this: TaskSocket, chunk: Buffer): boolean {
    const task = this[TASK]!;
    const feed = task.rare().recordFeed;
    // pause(), not `return false`: that would stop reading but leave isPaused() false, and the
    // task and the TLS record feed resume by isPaused().
    if (!(feed === null ? onBytes(task, chunk) : feed.accept(chunk))) this.pause();
    return true;
  }

  /** One for every task's plain socket (see lib/io/socket-reads.ts); made on first use. */
  static tcpReads: net.OnReadOpts | null = null;

  /** The `onread` option of a task's plain socket. */
  plainReads(): net.OnReadOpts {
    return (TaskMachine.tcpReads ??= socketReads(TaskMachine.onTcpChunk));
  }

  static onSecureData(this: TaskSocket, chunk: Buffer): void {
    if (!onBytes(this[TASK]!, chunk)) this.pause();
  }

  static onSocketEnd(this: TaskSocket): void {
    const task = this[TASK]!;
    if (this === task.socket) onEnd(task);
  }

  static onSocketError(this: TaskSocket, error: Error): void {
    const task = this[TASK]!;
    if (this !== task.socket) return;
    if (task.has(CONNECTED)) task.fail(fromSystemError(error, task.context('stream'), 'networkConnectionLost'));
    else connectFailed(task, fromSystemError(error, task.context(connectOperation(task)), 'cannotConnectToHost'));
  }

  static onSocketClosed(this: TaskSocket): void {
    const task = this[TASK]!;
    if (this === task.socket) socketClosed(task);
  }

  // ---- Bytes in (bytes-in.ts) ------------------------------------------------------------------

  deliveredEOF(): void {
    if (this.has(EOF_DELIVERED)) return;
    this.setFlag(EOF_DELIVERED, true);
    queueMicrotask(() => this.maybeComplete());
  }

  // ---- Ending ---------------------------------------------------------------------------------

  /** Completes cleanly once the write side is closed and the read side closed or at delivered EOF. */
  maybeComplete(): void {
    if (this.has(FINISHING) || this.failure !== null) return;
    if (this.has(WRITE_CLOSED) && (this.has(READ_CLOSED) || this.has(EOF_DELIVERED))) {
      this.setFlag(FINISHING, true);
      teardown(this);
    }
  }

  /** The task failed: writes and closes reject now; reads may still take bytes that had arrived. */
  fail(error: StreamTaskError): void {
    if (this.has(FINISHING) || this.inState(COMPLETED)) return;
    this.failure = error;
    this.setFlag(FINISHING, true);
    for (const op of this.writeLane.toArray()) op.interrupt(error);
    this.writeLane.clear();
    decideResults(this);
    wakeReader(this);
    this.sides.open();
    if (this.has(CONNECTED)) {
      // A reset or broken pipe closes both sides.
      this.announceReadClosed();
      this.announceWriteClosed();
    }
    teardown(this);
  }

  // ---- Helpers --------------------------------------------------------------------------------

  writeRefusal(operation: string): StreamTaskError | null {
    if (this.failure !== null) return this.failure;
    if (this.has(CAPTURED)) return this.capturedError(operation);
    if (this.has(WRITE_CLOSING)) return invalidStateError(this.context(operation), 'the write side was closed by closeWrite()');
    return null;
  }

  operation<T>(
    operation: string,
    timeout: number,
    signal: AbortSignalLike | undefined,
    pending: PendingList,
  ): Operation<T> {
    return this.refusedIfCancelled(new Operation<T>(operation, this.sides, timeout, signal, pending));
  }

  /** Every new operation of a cancelled task rejects with the cancellation at once. */
  refusedIfCancelled<O extends { reject(error: unknown): void }>(op: O): O {
    if (this.failure?.code === 'cancelled') op.reject(this.failure);
    return op;
  }

  rejected(error: StreamTaskError): Promise<never> {
    const promise = Promise.reject(error);
    promise.catch(() => {});
    return promise;
  }

  context(operation: string): ErrorContext {
    const service = this.rare().service;
    if (service !== null && this.rare().targets === null) return { operation, host: `${service.type}.${service.domain}` };
    const target = this.target();
    return { operation, host: target.host, port: target.port };
  }

  /** The state is two bits of `flags` (STATE_BITS): one field fewer per task. */
  stateName(): StreamTaskState {
    return STATES[(this.flags & STATE_BITS) >> STATE_SHIFT]!;
  }

  /** Whether the state is `state` (SUSPENDED, RUNNING, CANCELING or COMPLETED): one bit test. */
  inState(state: number): boolean {
    return (this.flags & STATE_BITS) === state;
  }

  setState(state: StreamTaskState): void {
    if (this.stateName() === state) return;
    this.flags = (this.flags & ~STATE_BITS) | (STATES.indexOf(state) << STATE_SHIFT);
    if (mayHaveListeners(this)) this.dispatchEvent(new Event('statechange'));
    this.callDelegate('didChangeState', state);
  }

  announceReadClosed(): void {
    if (this.has(READ_CLOSED_ANNOUNCED)) return;
    this.setFlag(READ_CLOSED_ANNOUNCED, true);
    if (mayHaveListeners(this)) this.dispatchEvent(new Event('readclosed'));
    this.callDelegate('readClosed');
  }

  announceWriteClosed(): void {
    if (this.has(WRITE_CLOSED_ANNOUNCED)) return;
    this.setFlag(WRITE_CLOSED_ANNOUNCED, true);
    if (mayHaveListeners(this)) this.dispatchEvent(new Event('writeclosed'));
    this.callDelegate('writeClosed');
  }

  /** Calls the session delegate's method; a throw is reported as uncaught, like a listener's. */
  callDelegate<K extends keyof StreamTaskDelegate>(method: K, ...args: DelegateArgs<K>): void {
    const delegate = this.rare().delegate;
    const fn = delegate?.[method] as ((task: StreamTask, ...rest: unknown[]) => void) | undefined;
    if (typeof fn !== 'function') return;
    try {
      fn.call(delegate, this.api(), ...args);
    } catch (error) {
      process.nextTick(() => {
        throw error;
      });
    }
  }

  // ---- Events wanted (progress.ts) ----------------------------------------------------------------

  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    if (args[0] === 'progress') this.setFlag(PROGRESS_WANTED, true);
    if (args[0] === 'betterroute' && !this.has(BETTER_ROUTE_WANTED)) {
      this.setFlag(BETTER_ROUTE_WANTED, true);
      watchRoute(this);
    }
    super.addEventListener(...args);
  }
}

type DelegateArgs<K extends keyof StreamTaskDelegate> =
  Required<StreamTaskDelegate<StreamTask>>[K] extends (task: StreamTask, ...rest: infer A) => void ? A : never;
