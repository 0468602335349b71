/**
 * A task's state, and its entry points: one TCP connection, read and written through promises.
 * Owns the fields and the one-line calls into the parts (task/*.ts), each of which owns one
 * concern; it must not grow behaviour of its own. The public names and their TSDoc are stream-task.ts's.
 *
 * Reads run one at a time in order on the read lane, writes one at a time in order on the write
 * lane; the lanes do not wait for each other. Bytes that arrive go into the read buffer; a read
 * takes from it, so a read that times out or is aborted leaves every byte there for the next one.
 */
import type * as dns from 'node:dns';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { inspect, type InspectOptionsStylized } from 'node:util';
import type { CapturedStreams } from '../adapters/web-streams.js';
import type { ResolvedConfiguration } from '../configuration.js';
import type { Route } from '../connect/preamble.js';
import type { ServiceDescriptor, ServiceTarget } from '../connect/service.js';
import type { Deferred } from '../io/deferred.js';
import type { ErrorContext, StreamTaskError } from '../errors.js';
import { Lane } from '../io/lane.js';
import { Operation, type PendingList } from '../io/operation.js';
import { ReadBuffer } from '../io/read-buffer.js';
import type { Reader } from '../io/read-ops.js';
import type { SecureConnectionInfo, TLSOptions } from '../tls/secure.js';
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
import { setState } from './announce.js';
import { updateFlow } from './bytes-in.js';
import { captureStreams } from './capture.js';
import { startConnecting } from './connecting.js';
import { cancelTask, completeIfDone, failTask } from './ending.js';
import type { StreamTaskDelegate } from './events.js';
import {
  BETTER_ROUTE_WANTED,
  COMPLETED,
  EOF_DELIVERED,
  PROGRESS_WANTED,
  READING,
  RUNNING,
  SECURED,
  STARTED,
  STATE_BITS,
  STATE_SHIFT,
  STATES,
  STOPPABLE,
  SUSPENDED,
} from './flags.js';
import { closeRead, closeWrite } from './half-close.js';
import { TaskEventTarget } from './lazy-event-target.js';
import { snapshotMetrics, type Timeline } from './metrics.js';
import { watchRoute } from './progress.js';
import { closedPromise, type ConnectWait, openedPromise } from './results.js';
import { chunks, lines, readData, readExactly, readLine, readUntil } from './reading.js';
import { Seldom, SELDOM_DEFAULTS } from './seldom.js';
import { adoptSecureSocket, plainReads, releasePlainBytes, wirePlain } from './socket-listeners.js';
import type { DelimitedReadOptions, StreamTask } from './stream-task.js';
import { summary, type TaskSummary } from './summary.js';
import type { ListNode, LiveList, TaskList } from './task-list.js';
import { TaskSides } from './task-sides.js';
import { startSecureConnection, stopSecureConnection } from './tls-switch.js';
import { write, type WriteBatch } from './writing.js';

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
  /** Connect to this Unix domain socket instead of host and port. */
  path: string | null;
  /** Resolves names and SRV records (a configured DNS server); null: the system's. */
  resolver: dns.promises.Resolver | null;
}

/**
 * Everything a StreamTask does; `StreamTask` (stream-task.ts) is its public face and its TSDoc.
 * One object per task: the facade is this class under a type that shows only the public API.
 */
export class TaskMachine extends TaskEventTarget implements Timeline {
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
  /** Its neighbours in its session's list of live tasks while it is in it (see TaskList). */
  previousInList: ListNode | null = null;
  nextInList: ListNode | null = null;

  /**
   * `opened` (and `closed`, kept in Seldom): nothing until asked (most tasks never ask for
   * `closed`), a Deferred while asked and undecided, then only its promise. What they settle to is the task's state
   * (OPENED and the addresses, `failure`, the state), so nothing needs keeping for them
   * before they are asked. Until the task opens or fails it may hold Session.connect()'s wait instead.
   */
  openedSlot: Deferred<ConnectionInfo> | Promise<ConnectionInfo> | ConnectWait | null = null;
  /** The timeline and addresses (see Timeline in metrics.ts), as fields: no object per task. */
  fetchStartDate: number | null = null;
  domainLookupEndDate: number | null = null;
  connectEndDate: number | null = null;
  local: net.AddressInfo | null = null;
  remoteAddress = '';
  remotePort = 0;
  /** The ticket of the attempt's connect limit (see connect-limit.ts), -1 when none runs. */
  connectDeadline = -1;

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
    this.setSeldom('path', init.path);
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

  // ---- The fields' own accessors ----------------------------------------------------------------

  get taskDescription(): string | undefined { return this.rare().taskDescription; }
  set taskDescription(description: string | undefined) { this.setSeldom('taskDescription', description); }

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

  // ---- Public state (TSDoc in stream-task.ts) -------------------------------------------------

  get state(): StreamTaskState { return this.stateName(); }
  get error(): StreamTaskError | null { return this.failure; }
  get countOfBytesSent(): number { return this.bytesSent; }
  get countOfBytesReceived(): number { return this.bytesReceived; }
  get bufferedAmount(): number { return this.buffer.length; }
  get host(): string { return this.target().host; }
  get port(): number { return this.target().port; }
  get service(): ServiceDescriptor | null { return this.rare().service; }
  get path(): string | null { return this.rare().path; }
  get opened(): Promise<ConnectionInfo> { return openedPromise(this); }
  get closed(): Promise<void> { return closedPromise(this); }
  get metrics(): TaskMetrics {
    const seldom = this.rare();
    return snapshotMetrics(this, seldom.secureTimeline, this.bytesSent, this.bytesReceived, seldom.route?.via != null);
  }

  /** What `console.log(task)` shows: the public state (see summary.ts). */
  [inspect.custom](depth: number, options: InspectOptionsStylized): string {
    return `StreamTask ${inspect(summary(this), { ...options, depth: depth < 0 ? null : depth })}`;
  }

  /** What `JSON.stringify(task)` gives: the public state (the machine's fields hold sockets). */
  toJSON(): TaskSummary { return summary(this); }

  // ---- Public operations: each a call into the part that owns it ------------------------------

  resume(): void {
    if (!this.inState(SUSPENDED)) return;
    setState(this, 'running');
    if (this.has(STARTED)) {
      updateFlow(this);
    } else {
      this.setFlag(STARTED, true);
      startConnecting(this);
    }
  }

  suspend(): void {
    if (!this.inState(RUNNING)) return;
    setState(this, 'suspended');
    updateFlow(this);
  }

  cancel(reason?: unknown): void { cancelTask(this, reason, false); }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.inState(COMPLETED)) this.cancel();
    await this.closed.catch(() => {});
  }

  readData(options?: ReadOptions): Promise<ReadResult> { return readData(this, options); }
  readExactly(count: number, options?: OperationOptions): Promise<Uint8Array> { return readExactly(this, count, options); }
  readUntil(delimiter: string | Uint8Array, options?: DelimitedReadOptions): Promise<Uint8Array> { return readUntil(this, delimiter, options); }
  readLine(options?: DelimitedReadOptions): Promise<string | null> { return readLine(this, options); }
  lines(options?: DelimitedReadOptions): AsyncIterableIterator<string> { return lines(this, options); }
  chunks(options?: Omit<ReadOptions, 'minLength'>): AsyncIterableIterator<Uint8Array> { return chunks(this, options); }
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> { return chunks(this, undefined); }
  closeRead(): Promise<void> { return closeRead(this); }
  write(data: WritableData, options?: WriteOptions): Promise<void> { return write(this, data, options); }
  closeWrite(): Promise<void> { return closeWrite(this); }
  startSecureConnection(tls?: TLSOptions): Promise<SecureConnectionInfo> { return startSecureConnection(this, tls); }
  stopSecureConnection(): Promise<void> { return stopSecureConnection(this); }
  captureStreams(): Promise<CapturedStreams> { return captureStreams(this); }

  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    if (args[0] === 'progress') this.setFlag(PROGRESS_WANTED, true);
    if (args[0] === 'betterroute' && !this.has(BETTER_ROUTE_WANTED)) {
      this.setFlag(BETTER_ROUTE_WANTED, true);
      watchRoute(this);
    }
    super.addEventListener(...args);
  }

  // ---- What the parts ask of the task ------------------------------------------------------------
  // Methods, not imports: a part calls another through the task where importing it would close a
  // loop of imports (the socket's listeners reach connecting, ending and bytes-in; those end the task).

  /** Listens to the plain TCP socket for as long as it is the task's (socket-listeners.ts). */
  wire(socket: net.Socket): void { wirePlain(this, socket); }
  /** The `onread` option of a task's plain socket, if the runtime has Node's (socket-listeners.ts). */
  plainReads(): net.OnReadOpts | undefined { return plainReads(); }
  /** TLS reads the plain socket itself from now on (socket-listeners.ts). */
  releasePlainBytes(socket: net.Socket): void { releasePlainBytes(socket); }
  /** A TLS socket over the plain one becomes the task's (socket-listeners.ts). */
  adoptSecureSocket(socket: tls.TLSSocket): void { adoptSecureSocket(this, socket); }
  /** Cancels; `reset` sends RST instead of FIN (ending.ts). */
  cancelWith(reason: unknown, reset: boolean): void { cancelTask(this, reason, reset); }
  /** The task failed (ending.ts). */
  fail(error: StreamTaskError): void { failTask(this, error); }
  /** Completes if both sides are done (ending.ts). */
  maybeComplete(): void { completeIfDone(this); }

  /** A read took the end of stream: the task may complete, once the read's caller has it. */
  deliveredEOF(): void {
    if (this.has(EOF_DELIVERED)) return;
    this.setFlag(EOF_DELIVERED, true);
    queueMicrotask(() => this.maybeComplete());
  }

  operation<T>(operation: string, timeout: number, signal: AbortSignalLike | undefined, pending: PendingList): Operation<T> {
    return this.refusedIfCancelled(new Operation<T>(operation, this.sides, timeout, signal, pending));
  }

  /** Every new operation of a cancelled task rejects with the cancellation at once. */
  refusedIfCancelled<O extends { reject(error: unknown): void }>(op: O): O {
    if (this.failure?.code === 'cancelled') op.reject(this.failure);
    return op;
  }

  /** A rejected promise that is not an unhandled rejection if the caller drops it. */
  rejected(error: StreamTaskError): Promise<never> {
    const promise = Promise.reject(error);
    promise.catch(() => {});
    return promise;
  }

  /** Where the connection goes now: the SRV target being tried, or host and port. */
  target(): ServiceTarget {
    return this.rare().targets?.[this.rare().targetIndex] ?? { host: this.givenHost, port: this.givenPort };
  }

  /** What an error of `operation` names: the service while none of its targets is known. */
  context(operation: string): ErrorContext {
    const { service, path } = this.rare();
    if (path !== null) return { operation, host: path };
    if (service !== null && this.rare().targets === null) return { operation, host: `${service.type}.${service.domain}` };
    const target = this.target();
    return { operation, host: target.host, port: target.port };
  }

  /** The state is two bits of `flags` (STATE_BITS; set by announce.ts setState()). */
  stateName(): StreamTaskState {
    return STATES[(this.flags & STATE_BITS) >> STATE_SHIFT]!;
  }

  /** Whether the state is `state` (SUSPENDED, RUNNING, CANCELING or COMPLETED): one bit test. */
  inState(state: number): boolean {
    return (this.flags & STATE_BITS) === state;
  }
}
