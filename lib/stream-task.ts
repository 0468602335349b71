/**
 * StreamTask: one TCP connection, read and written through promises.
 *
 * Reads run one at a time in order on the read lane, writes one at a time in order on the write
 * lane; the lanes do not wait for each other. Bytes that arrive go into the read buffer; a read
 * takes from it, so a read that times out or is aborted leaves every byte there for the next one.
 */
import type net from 'node:net';
import { openTcp } from './connect/tcp.js';
import { type ResolvedConfiguration } from './configuration.js';
import { DEFAULT_MAX_LENGTH } from './constants.js';
import { deferred, type Deferred } from './deferred.js';
import {
  cancelledError,
  fromSystemError,
  invalidStateError,
  StreamTaskError,
  streamTaskError,
  timedOutError,
  type ErrorContext,
} from './errors.js';
import { StreamTaskCompleteEvent, type StreamTaskEventMap } from './events.js';
import { Lane, type Step } from './lane.js';
import { MetricsRecorder } from './metrics.js';
import { Operation, type Interruptible } from './operation.js';
import { ReadBuffer } from './read-buffer.js';
import type {
  AbortSignalLike,
  ConnectionInfo,
  ReadOptions,
  ReadResult,
  StreamTaskState,
  TaskMetrics,
  WritableData,
  WriteOptions,
} from './types.js';
import { bytesArgument, integerArgument, MAX_BYTES, optionsArgument, signalArgument, timeoutArgument } from './validate.js';

/** What the session hands a new task. Not public: create tasks with `session.streamTask()`. */
export interface StreamTaskInit {
  taskIdentifier: number;
  host: string;
  port: number;
  configuration: ResolvedConfiguration;
  signal: AbortSignalLike | undefined;
  taskDescription: string | undefined;
  onComplete: (task: StreamTask) => void;
}

/** A read waiting for bytes: at most one, the one at the head of the read lane. */
interface Reader {
  /** Tries to finish the read from the buffer; true when the read settled. */
  attempt: () => boolean;
  /** Bytes the read needs buffered at once (the socket keeps reading until then). */
  need: number;
  /** Lets the read lane move on. */
  done: () => void;
}

type AnyOperation = Interruptible;

const EMPTY = new Uint8Array(0);

/**
 * A TCP connection with awaited reads and writes, after Foundation's `URLSessionStreamTask`.
 * Create one with `session.streamTask()` (then `resume()`), or `await session.connect()`.
 *
 * @example
 * ```ts
 * import { Session } from 'streamtask';
 *
 * const task = await Session.shared.connect('127.0.0.1', 6379);
 * await task.write('PING\r\n');
 * const { data } = await task.readData({ minLength: 7, timeout: 5000 });
 * console.log(new TextDecoder().decode(data)); // "+PONG\r\n"
 * await task.closeWrite();
 * ```
 */
export class StreamTask extends EventTarget {
  /** Unique among the tasks of its session. */
  readonly taskIdentifier: number;
  /** A label of your own. */
  taskDescription: string | undefined;

  readonly #host: string;
  readonly #port: number;
  readonly #configuration: ResolvedConfiguration;
  readonly #onComplete: (task: StreamTask) => void;
  #state: StreamTaskState = 'suspended';
  #error: StreamTaskError | null = null;

  #socket: net.Socket | null = null;
  #socketClosed = false;
  #started = false;
  #connected = false;
  /** Whether the socket is reading (Node starts reading once connected). */
  #reading = true;
  /** Tearing down: the task completes when the socket has closed. */
  #finishing = false;

  readonly #buffer = new ReadBuffer();
  #reader: Reader | null = null;
  #eofReceived = false;
  #eofDelivered = false;
  #readClosing = false;
  #readClosed = false;
  #readClosedAnnounced = false;
  #writeClosedAnnounced = false;
  #writeClosing = false;
  #closeReadPromise: Promise<void> | null = null;
  #closeWritePromise: Promise<void> | null = null;

  readonly #readLane = new Lane();
  readonly #writeLane = new Lane();
  /** Pending operations that fail with the task (writes, closes). */
  readonly #pending = new Set<AnyOperation>();
  /** Pending reads: on failure they may still take bytes that had arrived. */
  readonly #pendingReads = new Set<AnyOperation>();

  readonly #opened: Deferred<ConnectionInfo> = deferred();
  readonly #closed: Deferred<void> = deferred();
  #countOfBytesSent = 0;
  #countOfBytesReceived = 0;
  readonly #metrics = new MetricsRecorder();
  #connectTimer: NodeJS.Timeout | undefined;
  #resourceTimer: NodeJS.Timeout | undefined;
  #signal: AbortSignalLike | undefined;
  #onSignalAbort: (() => void) | undefined;

  /** @internal Create tasks with `session.streamTask()`. */
  constructor(init: StreamTaskInit) {
    super();
    this.taskIdentifier = init.taskIdentifier;
    this.taskDescription = init.taskDescription;
    this.#host = init.host;
    this.#port = init.port;
    this.#configuration = init.configuration;
    this.#onComplete = init.onComplete;
    const signal = init.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        queueMicrotask(() => this.cancel(signal.reason));
      } else {
        this.#signal = signal;
        this.#onSignalAbort = () => this.cancel(signal.reason);
        signal.addEventListener('abort', this.#onSignalAbort, { once: true });
      }
    }
  }

  // ---- Public state -------------------------------------------------------------------------

  /** `'suspended'` until `resume()`, then `'running'`; `'canceling'` and `'completed'` at the end. */
  get state(): StreamTaskState {
    return this.#state;
  }

  /** Why the task failed or was cancelled; null while it is well or when it completed cleanly. */
  get error(): StreamTaskError | null {
    return this.#error;
  }

  /** Bytes the kernel has accepted from us. */
  get countOfBytesSent(): number {
    return this.#countOfBytesSent;
  }

  /** Bytes that arrived from the peer (read or still buffered). */
  get countOfBytesReceived(): number {
    return this.#countOfBytesReceived;
  }

  /** Bytes that arrived and no read has taken yet. */
  get bufferedAmount(): number {
    return this.#buffer.length;
  }

  /** The host and port this task connects to. */
  get host(): string {
    return this.#host;
  }

  get port(): number {
    return this.#port;
  }

  /** Resolves when the connection is open; rejects if it never opens. Never unhandled. */
  get opened(): Promise<ConnectionInfo> {
    return this.#opened.promise;
  }

  /**
   * Settles when the task completes: resolves when both sides closed cleanly, rejects with the
   * task's error on failure or cancel. Never unhandled.
   */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** Timing and counts, under Foundation's `URLSessionTaskTransactionMetrics` names. */
  get metrics(): TaskMetrics {
    return this.#metrics.snapshot(this.#countOfBytesSent, this.#countOfBytesReceived);
  }

  // ---- Life -----------------------------------------------------------------------------------

  /** Starts the task (connects the first time), or lets a suspended task pull bytes again. */
  resume(): void {
    if (this.#state !== 'suspended') return;
    this.#setState('running');
    if (!this.#started) {
      this.#started = true;
      this.#start();
    } else {
      this.#updateFlow();
    }
  }

  /** Stops pulling bytes from the socket until `resume()`. Buffered bytes can still be read; writes go on. */
  suspend(): void {
    if (this.#state !== 'running') return;
    this.#setState('suspended');
    this.#updateFlow();
  }

  /**
   * Cancels the task: the socket is destroyed at once, every pending and later operation rejects
   * with `cancelled` (its `cause` is `reason`), and the state goes `'canceling'`, then `'completed'`.
   */
  cancel(reason?: unknown): void {
    if (this.#finishing || this.#state === 'completed') return;
    const error = cancelledError(this.#context('task'), reason);
    this.#error = error;
    this.#finishing = true;
    this.#setState('canceling');
    this.#buffer.clear();
    for (const op of [...this.#pendingReads, ...this.#pending]) op.interrupt(error);
    this.#readLane.clear();
    this.#writeLane.clear();
    this.#opened.reject(error);
    this.#teardown();
  }

  /** Cancels the task unless it already completed, and waits for its socket to close. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#state !== 'completed') this.cancel();
    await this.#closed.promise.catch(() => {});
  }

  // ---- Reading --------------------------------------------------------------------------------

  /**
   * Reads at least `minLength` and at most `maxLength` bytes. At end of stream resolves with
   * what is left (maybe empty) and `atEOF: true`, and so does every read after it. A read that
   * times out or is aborted rejects, and the bytes that arrived stay for the next read.
   *
   * @example
   * ```ts
   * const { data, atEOF } = await task.readData({ minLength: 4, maxLength: 4096, timeout: 5000 });
   * ```
   */
  readData(options?: ReadOptions): Promise<ReadResult> {
    let minLength: number, maxLength: number, timeout: number, signal: AbortSignalLike | undefined;
    try {
      const given = optionsArgument<ReadOptions>('options', options);
      maxLength = integerArgument('maxLength', given.maxLength, DEFAULT_MAX_LENGTH, 1, Number.MAX_SAFE_INTEGER);
      minLength = integerArgument('minLength', given.minLength, 1, 0, Math.min(maxLength, MAX_BYTES));
      timeout = timeoutArgument('timeout', given.timeout);
      signal = signalArgument('signal', given.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    const op = this.#readOperation<ReadResult>('readData', timeout, signal);
    if (op.settled) return op.promise;
    const buffer = this.#buffer;
    const attempt = (): boolean => {
      const buffered = buffer.length;
      if (buffered >= minLength || this.#eofReceived) {
        const data = buffered === 0 ? EMPTY : buffer.take(Math.min(minLength, buffered), maxLength);
        const atEOF = this.#eofReceived && buffer.length === 0;
        if (atEOF) this.#deliveredEOF();
        op.resolve({ data, atEOF });
        return true;
      }
      if (this.#error !== null) {
        op.reject(this.#error);
        return true;
      }
      return false;
    };
    this.#readLane.submit(this.#readStep(op, attempt, minLength));
    return op.promise;
  }

  /**
   * Stops delivering bytes, after the reads enqueued before it. Bytes still buffered are
   * dropped, later reads reject with `invalidState`. The socket keeps reading (and dropping) so
   * the peer is not stalled and its FIN or reset is still seen.
   */
  closeRead(): Promise<void> {
    if (this.#closeReadPromise !== null) return this.#closeReadPromise;
    if (this.#error !== null) return this.#rejected(this.#error);
    this.#readClosing = true;
    const op = this.#operation<void>('closeRead', 0, undefined, this.#pending);
    this.#readLane.submit(() => {
      if (op.settled) return true;
      this.#readClosed = true;
      this.#buffer.clear();
      this.#announceReadClosed();
      op.resolve();
      this.#updateFlow();
      this.#maybeComplete();
      return true;
    });
    this.#closeReadPromise = op.promise;
    return op.promise;
  }

  // ---- Writing --------------------------------------------------------------------------------

  /**
   * Writes bytes (strings as UTF-8) after the writes enqueued before. Resolves when the kernel has
   * accepted them. Do not change the bytes until it resolves (they are not copied).
   *
   * A write that times out or is aborted rejects; its error's `committedBytes` says whether its
   * bytes had already been handed to the socket (then they are still sent, in order) or not (none is).
   *
   * @example
   * ```ts
   * await task.write('HELLO\r\n', { timeout: 5000 });
   * ```
   */
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
    const refusal = this.#writeRefusal('write');
    if (refusal !== null) return this.#rejected(refusal);
    const op = this.#operation<void>('write', timeout, signal, this.#pending);
    if (op.settled) return op.promise;
    const length = bytes.length;
    let committed = false;
    op.onInterrupt = (error) => {
      if (this.#error !== null) return error;
      const what = committed
        ? `its ${length} bytes were already handed to the socket and will still be sent`
        : 'none of its bytes were sent';
      return new StreamTaskError(error.code, `${error.message}; ${what}`, {
        cause: error.cause,
        committedBytes: committed ? length : 0,
      });
    };
    this.#writeLane.submit(() => {
      if (op.settled) return true;
      if (this.#error !== null) {
        op.reject(this.#error);
        return true;
      }
      const socket = this.#socket!;
      committed = true;
      const accepted = socket.write(bytes, (error) => {
        if (error) {
          op.reject(this.#error ?? fromSystemError(error, this.#context('write')));
          return;
        }
        this.#countOfBytesSent += length;
        op.resolve();
      });
      // Below the socket's high-water mark the next write may go at once; above it, the lane
      // waits for 'drain' (even if this write's own time ran out meanwhile) so memory stays bounded.
      return accepted ? true : drained(socket);
    });
    return op.promise;
  }

  /**
   * Sends FIN after the writes enqueued before it; later writes reject with `invalidState`.
   * Reads go on: the peer may still answer. (It does not wait for enqueued reads, which could be
   * waiting for the peer's answer to this very FIN.)
   */
  closeWrite(): Promise<void> {
    if (this.#closeWritePromise !== null) return this.#closeWritePromise;
    const refusal = this.#writeRefusal('closeWrite');
    if (refusal !== null) return this.#rejected(refusal);
    this.#writeClosing = true;
    const op = this.#operation<void>('closeWrite', 0, undefined, this.#pending);
    this.#writeLane.submit(() => {
      if (op.settled) return true;
      if (this.#error !== null) {
        op.reject(this.#error);
        return true;
      }
      this.#socket!.end((error?: Error | null) => {
        if (error) {
          op.reject(this.#error ?? fromSystemError(error, this.#context('closeWrite')));
          return;
        }
        op.resolve();
        this.#announceWriteClosed();
        this.#maybeComplete();
      });
      return true;
    });
    this.#closeWritePromise = op.promise;
    return op.promise;
  }

  // ---- Connecting -----------------------------------------------------------------------------

  #start(): void {
    const config = this.#configuration;
    const now = new Date();
    this.#metrics.fetchStartDate = now;
    if (config.timeoutIntervalForResource > 0) {
      const error = timedOutError(this.#context('task'), config.timeoutIntervalForResource, 'the resource time limit ran out');
      this.#resourceTimer = setTimeout(() => this.#fail(error), config.timeoutIntervalForResource);
    }
    if (config.timeoutIntervalForRequest > 0) {
      const error = timedOutError(this.#context('connect'), config.timeoutIntervalForRequest, 'connecting timed out');
      this.#connectTimer = setTimeout(() => this.#fail(error), config.timeoutIntervalForRequest);
    }
    let socket: net.Socket;
    try {
      socket = openTcp({
        host: this.#host,
        port: this.#port,
        noDelay: config.noDelay,
        keepAlive: config.keepAlive,
        onBytes: (chunk) => this.#onBytes(chunk),
      });
    } catch (error) {
      this.#fail(fromSystemError(error, this.#context('connect'), 'cannotConnectToHost'));
      return;
    }
    this.#socket = socket;
    this.#metrics.domainLookupStartDate = now;
    socket.on('lookup', () => {
      const looked = new Date();
      this.#metrics.domainLookupEndDate = looked;
      this.#metrics.connectStartDate = looked;
    });
    socket.once('connect', () => this.#onConnect(socket));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (error) => {
      const fallback = this.#connected ? 'networkConnectionLost' : 'cannotConnectToHost';
      this.#fail(fromSystemError(error, this.#context(this.#connected ? 'stream' : 'connect'), fallback));
    });
    socket.on('close', () => this.#onSocketClose());
  }

  #onConnect(socket: net.Socket): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#connected = true;
    const metrics = this.#metrics;
    metrics.connectEndDate = new Date();
    if (metrics.domainLookupEndDate === null) {
      // An address literal: no lookup took place.
      metrics.domainLookupStartDate = null;
      metrics.connectStartDate = metrics.fetchStartDate;
    }
    const info: ConnectionInfo = {
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    };
    metrics.localAddress = info.localAddress;
    metrics.localPort = info.localPort;
    metrics.remoteAddress = info.remoteAddress;
    metrics.remotePort = info.remotePort;
    this.#updateFlow();
    this.#readLane.open();
    this.#writeLane.open();
    this.#opened.resolve(info);
    this.#dispatch('open');
  }

  // ---- Bytes in -------------------------------------------------------------------------------

  /** Each chunk the socket read, in order. Returns false to stop reading (the buffer is full). */
  #onBytes(chunk: Buffer): boolean {
    this.#countOfBytesReceived += chunk.length;
    if (!this.#readClosed) {
      this.#buffer.push(chunk);
      this.#wakeReader();
    }
    const more = this.#wantsBytes();
    if (!more) this.#reading = false;
    return more;
  }

  #onEnd(): void {
    this.#eofReceived = true;
    this.#announceReadClosed();
    this.#wakeReader();
    this.#maybeComplete();
  }

  /** Whether the socket should be reading now. */
  #wantsBytes(): boolean {
    if (this.#state === 'suspended') return false;
    if (this.#readClosed) return true;
    const limit = Math.max(this.#configuration.readBufferSize, this.#reader?.need ?? 0);
    return this.#buffer.length < limit;
  }

  /** Pauses or resumes the socket to match `#wantsBytes()`: the backpressure from reader to peer. */
  #updateFlow(): void {
    const socket = this.#socket;
    if (socket === null || !this.#connected || this.#finishing) return;
    const want = this.#wantsBytes();
    if (want && !this.#reading) {
      this.#reading = true;
      socket.resume();
    } else if (!want && this.#reading) {
      this.#reading = false;
      socket.pause();
    }
  }

  #wakeReader(): void {
    const reader = this.#reader;
    if (reader !== null && reader.attempt()) {
      this.#reader = null;
      reader.done();
    }
  }

  /** The step of a read on the read lane: finish at once from the buffer, or wait for bytes. */
  #readStep(op: Pick<Operation<unknown>, 'settled' | 'onInterrupt'>, attempt: () => boolean, need: number): Step {
    return () => {
      if (op.settled) return true;
      if (attempt()) {
        this.#updateFlow();
        return true;
      }
      return new Promise<void>((done) => {
        const reader: Reader = {
          attempt: () => {
            if (!attempt()) return false;
            this.#updateFlow();
            return true;
          },
          need,
          done,
        };
        this.#reader = reader;
        op.onInterrupt = () => {
          if (this.#reader === reader) this.#reader = null;
          this.#updateFlow();
          done();
        };
        this.#updateFlow();
      });
    };
  }

  #deliveredEOF(): void {
    if (this.#eofDelivered) return;
    this.#eofDelivered = true;
    queueMicrotask(() => this.#maybeComplete());
  }

  #announceReadClosed(): void {
    if (this.#readClosedAnnounced) return;
    this.#readClosedAnnounced = true;
    this.#dispatch('readclosed');
  }

  #announceWriteClosed(): void {
    if (this.#writeClosedAnnounced) return;
    this.#writeClosedAnnounced = true;
    this.#dispatch('writeclosed');
  }

  // ---- Ending ---------------------------------------------------------------------------------

  /** Completes cleanly once the write side is closed and the read side closed or at delivered EOF. */
  #maybeComplete(): void {
    if (this.#finishing || this.#error !== null) return;
    const writeClosed = this.#closeWritePromise !== null && this.#socket?.writableFinished === true;
    if (writeClosed && (this.#readClosed || this.#eofDelivered)) {
      this.#finishing = true;
      this.#teardown();
    }
  }

  /** The task failed: writes and closes reject now; reads may still take bytes that had arrived. */
  #fail(error: StreamTaskError): void {
    if (this.#finishing || this.#state === 'completed') return;
    this.#error = error;
    this.#finishing = true;
    for (const op of [...this.#pending]) op.interrupt(error);
    this.#writeLane.clear();
    this.#opened.reject(error);
    this.#wakeReader();
    this.#readLane.open();
    if (this.#connected) {
      // A reset or broken pipe closes both sides.
      this.#announceReadClosed();
      this.#announceWriteClosed();
    }
    this.#teardown();
  }

  #teardown(): void {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#resourceTimer);
    this.#connectTimer = undefined;
    this.#resourceTimer = undefined;
    if (this.#onSignalAbort !== undefined) this.#signal!.removeEventListener('abort', this.#onSignalAbort);
    this.#onSignalAbort = undefined;
    this.#signal = undefined;
    const socket = this.#socket;
    if (socket === null || this.#socketClosed) {
      this.#complete();
      return;
    }
    // Completion waits for the socket's 'close', so no handle outlives `closed`.
    socket.destroy();
  }

  #onSocketClose(): void {
    this.#socketClosed = true;
    if (!this.#finishing) {
      this.#fail(streamTaskError('networkConnectionLost', this.#context('stream'), 'the connection closed'));
      return;
    }
    this.#complete();
  }

  #complete(): void {
    if (this.#state === 'completed') return;
    const error = this.#error;
    this.#setState('completed');
    if (error !== null) this.#closed.reject(error);
    else this.#closed.resolve();
    this.#opened.reject(error ?? invalidStateError(this.#context('connect'), 'the task completed before it connected'));
    this.#onComplete(this);
    this.dispatchEvent(new StreamTaskCompleteEvent(error, this.metrics));
  }

  // ---- Helpers --------------------------------------------------------------------------------

  #writeRefusal(operation: string): StreamTaskError | null {
    if (this.#error !== null) return this.#error;
    if (this.#writeClosing) return invalidStateError(this.#context(operation), 'the write side was closed by closeWrite()');
    return null;
  }

  #readOperation<T>(operation: string, timeout: number, signal: AbortSignalLike | undefined): Operation<T> {
    const op = this.#operation<T>(operation, timeout, signal, this.#pendingReads);
    if (this.#readClosing) op.reject(invalidStateError(this.#context(operation), 'the read side was closed by closeRead()'));
    return op;
  }

  #operation<T>(
    operation: string,
    timeout: number,
    signal: AbortSignalLike | undefined,
    pending: Set<AnyOperation>,
  ): Operation<T> {
    const op = new Operation<T>(this.#context(operation), { timeout, signal }, pending);
    if (this.#error?.code === 'cancelled') op.reject(this.#error);
    return op;
  }

  #rejected(error: StreamTaskError): Promise<never> {
    const promise = Promise.reject(error);
    promise.catch(() => {});
    return promise;
  }

  #context(operation: string): ErrorContext {
    return { operation, host: this.#host, port: this.#port };
  }

  #setState(state: StreamTaskState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#dispatch('statechange');
  }

  #dispatch(type: keyof StreamTaskEventMap): void {
    this.dispatchEvent(new Event(type));
  }
}

type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };
type ListenerOptions = boolean | { once?: boolean; passive?: boolean; capture?: boolean; signal?: AbortSignal };

// Typed events: `task.addEventListener('complete', (event) => event.error)`.
export interface StreamTask {
  addEventListener<K extends keyof StreamTaskEventMap>(
    type: K,
    listener: (this: StreamTask, event: StreamTaskEventMap[K]) => void,
    options?: ListenerOptions,
  ): void;
  addEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void;
  removeEventListener<K extends keyof StreamTaskEventMap>(
    type: K,
    listener: (this: StreamTask, event: StreamTaskEventMap[K]) => void,
    options?: ListenerOptions,
  ): void;
  removeEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void;
}

/** Resolves at the socket's next 'drain' or 'close'. */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
