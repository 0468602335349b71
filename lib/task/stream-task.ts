/**
 * StreamTask, as users see it: every public name with its TSDoc. What a task does lives in
 * task-machine.ts; this file holds no behaviour, and must not grow any.
 *
 * The class is TaskMachine itself under a type that shows only this API (no second object per
 * task, no call in between), so the machine's internals stay out of the published types.
 */
import type { CapturedStreams } from '../adapters/web-streams.js';
import type { ServiceDescriptor } from '../connect/service.js';
import { DEFAULT_CONFIGURATION } from '../configuration.js';
import type { StreamTaskError } from '../errors.js';
import type { SecureConnectionInfo, TLSOptions } from '../tls/secure.js';
import type {
  ConnectionInfo,
  OperationOptions,
  ReadOptions,
  ReadResult,
  StreamTaskState,
  TaskMetrics,
  WritableData,
  WriteOptions,
} from '../types.js';
import type { StreamTaskEventMap } from './events.js';
import { settleLayout } from './settle-layout.js';
import { TaskMachine, type StreamTaskInit } from './task-machine.js';

/**
 * Options of the protocol reads (`readUntil`, `readLine`, `lines`).
 *
 * @example
 * ```ts
 * const options: DelimitedReadOptions = { maxLength: 1000, timeout: 5000 };
 * const reply = await task.readLine(options);
 * ```
 */
export interface DelimitedReadOptions extends OperationOptions {
  /** The most bytes the result may hold, delimiter included. Default 65536. */
  maxLength?: number;
}


/** The public members of a task, each with its documentation. */
export interface StreamTaskApi {
  /** Unique among the tasks of its session. */
  readonly taskIdentifier: number;

  /**
   * A label of your own (Foundation's `taskDescription`), settable. Kept with the seldom-used
   * state: most tasks have none.
   */
  taskDescription: string | undefined;

  /** `'suspended'` until `resume()`, then `'running'`; `'canceling'` and `'completed'` at the end. */
  readonly state: StreamTaskState;

  /** Why the task failed or was cancelled; null while it is well or when it completed cleanly. */
  readonly error: StreamTaskError | null;

  /** Bytes the kernel has accepted from us. */
  readonly countOfBytesSent: number;

  /** Bytes that arrived from the peer (read or still buffered). */
  readonly countOfBytesReceived: number;

  /** Bytes that arrived and no read has taken yet. */
  readonly bufferedAmount: number;

  /**
   * The host this task connects to (for a service: its domain until a target is chosen, then the
   * target; for a Unix domain socket: `'localhost'`, the name TLS over it verifies by default).
   */
  readonly host: string;

  /** The port this task connects to (for a service: 0 until a target is chosen; for a Unix socket: 0). */
  readonly port: number;

  /** The Unix domain socket this task connects to, or null for TCP. */
  readonly path: string | null;

  /** The service this task was made for, if any. */
  readonly service: ServiceDescriptor | null;

  /** Resolves when the connection is open; rejects if it never opens. Never unhandled. */
  readonly opened: Promise<ConnectionInfo>;

  /**
   * Settles when the task completes: resolves when both sides closed cleanly, rejects with the
   * task's error on failure or cancel. Never unhandled.
   */
  readonly closed: Promise<void>;

  /** Timing and counts, under Foundation's `URLSessionTaskTransactionMetrics` names. */
  readonly metrics: TaskMetrics;

  /**
   * Starts the task (connects the first time), or lets a suspended task pull bytes again.
   *
   * @example
   * ```ts
   * const task = session.streamTask('127.0.0.1', 6379);
   * task.resume();
   * await task.opened;
   * ```
   */
  resume(): void;

  /**
   * Stops pulling bytes from the socket until `resume()`. Buffered bytes can still be read; writes go on.
   *
   * @example
   * ```ts
   * task.suspend();          // the peer is held back by TCP flow control
   * await task.write('more please\n');
   * task.resume();
   * ```
   */
  suspend(): void;

  /**
   * Cancels the task: the socket is destroyed at once, every pending and later operation rejects
   * with `cancelled` (its `cause` is `reason`), and the state goes `'canceling'`, then `'completed'`.
   *
   * @example
   * ```ts
   * const pending = task.readData();
   * task.cancel(new Error('user quit'));
   * await pending.catch((error: StreamTaskError) => console.log(error.code)); // "cancelled"
   * ```
   */
  cancel(reason?: unknown): void;

  /**
   * Cancels the task unless it already completed, and waits for its socket to close.
   *
   * @example
   * ```ts
   * {
   *   await using task = await session.connect('127.0.0.1', 6379);
   *   await task.write('PING\r\n');
   * } // cancelled and closed here, even if the write threw
   * ```
   */
  [Symbol.asyncDispose](): Promise<void>;

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
  readData(options?: ReadOptions): Promise<ReadResult>;

  /**
   * Reads exactly `count` bytes. At end of stream before that, rejects with `incompleteRead`
   * (its `partialLength` says how many came) and the bytes stay buffered for the next read.
   *
   * @example
   * ```ts
   * const header = await task.readExactly(4);
   * const body = await task.readExactly(new DataView(header.buffer, header.byteOffset).getUint32(0));
   * ```
   */
  readExactly(count: number, options?: OperationOptions): Promise<Uint8Array>;

  /**
   * Reads up to and including `delimiter` (a string is UTF-8), at most `maxLength` bytes in all.
   * Without the delimiter in the first `maxLength` bytes: `limitOverrun`, nothing consumed. At
   * end of stream without it: `incompleteRead`, the bytes staying buffered.
   *
   * @example
   * ```ts
   * const reply = await task.readUntil('\r\n', { maxLength: 512, timeout: 5000 });
   * ```
   */
  readUntil(delimiter: string | Uint8Array, options?: DelimitedReadOptions): Promise<Uint8Array>;

  /**
   * Reads one line of UTF-8 text ending in LF or CRLF, without its ending; the last line may
   * lack one. Resolves `null` at end of stream when nothing is left. `maxLength` bounds the
   * line's bytes with its ending (default 65536; beyond it `limitOverrun`, nothing consumed).
   *
   * @example
   * ```ts
   * const greeting = await task.readLine({ timeout: 5000 }); // "220 mail.example.com ESMTP"
   * ```
   */
  readLine(options?: DelimitedReadOptions): Promise<string | null>;

  /**
   * The lines of the stream until its end, as `readLine` reads them. Stopping early (`break`)
   * leaves the task open and the bytes after the last line taken buffered; after a step rejects
   * (a time limit), the next step reads again, and no byte was lost.
   *
   * @example
   * ```ts
   * for await (const line of task.lines()) console.log(line);
   * ```
   */
  lines(options?: DelimitedReadOptions): AsyncIterableIterator<string>;

  /**
   * The chunks of the stream until its end, each at most `maxLength` bytes, each read through
   * the read queue. Stopping early (`break`) leaves the task open and unread bytes buffered.
   *
   * @example
   * ```ts
   * for await (const chunk of task.chunks({ timeout: 30_000 })) process.stdout.write(chunk);
   * ```
   */
  chunks(options?: Omit<ReadOptions, 'minLength'>): AsyncIterableIterator<Uint8Array>;

  /**
   * `for await (const chunk of task)`: the chunks until end of stream; `break` keeps the task.
   *
   * @example
   * ```ts
   * for await (const chunk of task) process.stdout.write(chunk);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array>;

  /**
   * Stops delivering bytes, after the reads enqueued before it. Bytes still buffered are
   * dropped, later reads reject with `invalidState`. The socket keeps reading (and dropping) so
   * the peer is not stalled and its FIN or reset is still seen.
   *
   * @example
   * ```ts
   * await task.write('QUIT\r\n');
   * await task.closeRead(); // not interested in the rest of the answer
   * await task.closeWrite();
   * ```
   */
  closeRead(): Promise<void>;

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
  write(data: WritableData, options?: WriteOptions): Promise<void>;

  /**
   * Sends FIN after the writes enqueued before it; later writes reject with `invalidState`.
   * Reads go on: the peer may still answer. (It does not wait for enqueued reads, which could be
   * waiting for the peer's answer to this very FIN.)
   *
   * @example
   * ```ts
   * await task.write('SUM 1 2 3\n');
   * await task.closeWrite();                          // the peer sees end of input
   * const answer = await task.readData({ minLength: 1 }); // and may still answer
   * ```
   */
  closeWrite(): Promise<void>;

  /**
   * Upgrades the connection to TLS in place (STARTTLS), once every read and write enqueued before
   * has completed; reads and writes enqueued after it run over TLS. `tls` overrides the session's
   * TLS settings. The handshake is limited by `timeoutIntervalForRequest`.
   *
   * Plaintext that arrived before the upgrade and was not read makes it fail with
   * `secureConnectionFailed` and closes the task (it could be an injected command); read the
   * server's go-ahead reply completely first, or pass `discardUnreadPlaintext: true`.
   *
   * @example
   * ```ts
   * await task.write('STARTTLS\r\n');
   * const reply = await task.readLine();          // "220 Ready to start TLS"
   * const info = await task.startSecureConnection();
   * console.log(info.protocol, info.cipher);      // "TLSv1.3 TLS_AES_256_GCM_SHA384"
   * ```
   */
  startSecureConnection(tls?: TLSOptions): Promise<SecureConnectionInfo>;

  /**
   * Ends TLS and goes on in plaintext over the same TCP connection (FTP's CCC), once every read
   * and write enqueued before has completed: sends close_notify, waits for the peer's (within
   * `timeoutIntervalForRequest`), then reads and writes enqueued after it run in plaintext. Bytes
   * the peer sent behind its close_notify are the first plaintext bytes read.
   *
   * Only for a secure connection made with `allowStop: true`; otherwise it rejects with
   * `invalidState` (Node's native TLS path cannot give the connection back; docs/tls.md).
   *
   * @example
   * ```ts
   * const task = session.streamTask('ftp.example.com', 21);
   * // … AUTH TLS …
   * await task.startSecureConnection({ allowStop: true });
   * // … USER, PASS over TLS …
   * await task.write('CCC\r\n');
   * await task.readLine();                        // "200 Command channel cleared"
   * await task.stopSecureConnection();            // plaintext from here on
   * ```
   */
  stopSecureConnection(): Promise<void>;

  /**
   * Hands the connection over as a WHATWG stream pair, once every read and write enqueued before
   * has completed. The readable begins with the bytes the task had buffered; afterwards the task's
   * own reads, writes and closes reject with `invalidState`. The task completes when both streams
   * are done (the readable at end of stream or cancelled, the writable closed), or on error.
   *
   * @example
   * ```ts
   * const { readable, writable } = await task.captureStreams();
   * const consoleSink = new WritableStream<string>({ write: (text) => void process.stdout.write(text) });
   * await readable.pipeThrough(new TextDecoderStream()).pipeTo(consoleSink);
   * ```
   */
  captureStreams(): Promise<CapturedStreams>;
}

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
 *
 * @hideconstructor
 */
// `init: never`: the published constructor takes nothing a user could give (tasks come from a
// session), and its internal init type stays out of the published declarations.
export class StreamTask extends (TaskMachine as unknown as new (init: never) => EventTarget) {}

/** Makes a task with the machine's init: the session's way in (and settle-layout's). @internal */
export const newStreamTask = (init: StreamTaskInit): StreamTask => new (StreamTask as unknown as new (init: StreamTaskInit) => StreamTask)(init);

/** @inline */
type Listener = ((event: Event) => void) | { handleEvent(event: Event): void };
/** @inline */
type ListenerOptions = boolean | { once?: boolean; passive?: boolean; capture?: boolean; signal?: AbortSignal };

// Typed events: `task.addEventListener('complete', (event) => event.error)`.
export interface StreamTask extends StreamTaskApi {
  /**
   * Listens for one of the task's events ({@link StreamTaskEventMap}), typed by its name.
   *
   * @example
   * ```ts
   * task.addEventListener('complete', (event) => console.log(event.error?.code ?? 'clean'), { once: true });
   * ```
   */
  addEventListener<K extends keyof StreamTaskEventMap>(
    type: K,
    listener: (this: StreamTask, event: StreamTaskEventMap[K]) => void,
    options?: ListenerOptions,
  ): void;
  /** Listens for any event by name, as EventTarget does. */
  addEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void;
  /**
   * Stops listening; the same listener and `capture` as given to `addEventListener`.
   *
   * @example
   * ```ts
   * const onProgress = (event: StreamTaskProgressEvent): void => console.log(event.countOfBytesReceived);
   * task.addEventListener('progress', onProgress);
   * task.removeEventListener('progress', onProgress);
   * ```
   */
  removeEventListener<K extends keyof StreamTaskEventMap>(
    type: K,
    listener: (this: StreamTask, event: StreamTaskEventMap[K]) => void,
    options?: ListenerOptions,
  ): void;
  /** Stops listening to any event by name, as EventTarget does. */
  removeEventListener(type: string, listener: Listener | null, options?: ListenerOptions): void;
}

// The machine implements every public member: checked here, as a merged interface is not.
({}) as TaskMachine satisfies StreamTaskApi;

/** Untouched tasks made once at load (see settle-layout.ts); they never start and hold no socket. */
settleLayout(() => newStreamTask({
  taskIdentifier: -1, host: '', port: 0, configuration: DEFAULT_CONFIGURATION, signal: undefined,
  taskDescription: undefined, list: null, delegate: undefined, tlsAtStart: null, route: null, path: null,
  service: null, resolver: null,
}));
