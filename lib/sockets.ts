/**
 * `streamtask/sockets`: the WinterTC Sockets API (`connect()` returning a `Socket` with
 * `readable`, `writable`, `opened`, `closed`, `close()`, `startTls()`), as Cloudflare Workers'
 * `cloudflare:sockets` offers it, on a stream task: code written for Workers runs on Node, Bun
 * and Deno unchanged, with the task's guarantees (verified TLS, no lost byte across startTls).
 * Owns the mapping from the proposal's terms to the task's; the task does the work.
 *
 * @example
 * ```ts
 * import { connect } from 'streamtask/sockets';
 * const socket = connect({ hostname: '127.0.0.1', port: 6379 });
 * const writer = socket.writable.getWriter();
 * await writer.write(new TextEncoder().encode('PING\r\n'));
 * const { value } = await socket.readable.getReader().read();
 * await socket.close();
 * ```
 *
 * @module streamtask/sockets
 */
import { StreamTaskError } from './errors.js';
import { Session } from './task/session.js';
import type { StreamTask } from './task/stream-task.js';
import type { WritableData } from './types.js';
import { describe } from './validate.js';
import {
  handled,
  parseAddress,
  SocketError,
  socketError,
  socketInfo,
  tlsSettings,
  type AnySocketAddress,
  type SecureTransportKind,
  type SocketInfo,
  type SocketOptions,
  type StartTlsOptions,
} from './sockets/terms.js';

export {
  SocketError,
  type AnySocketAddress,
  type SecureTransportKind,
  type SocketAddress,
  type SocketInfo,
  type SocketOptions,
  type StartTlsOptions,
} from './sockets/terms.js';

const session = new Session();


/**
 * Opens a socket (WinterTC Sockets API). Returns at once; `opened` resolves once connected (and,
 * with `secureTransport: 'on'`, once the TLS handshake verified the server). Throws a SocketError
 * for an address or options it cannot use.
 *
 * @example
 * ```ts
 * import { connect } from 'streamtask/sockets';
 * const socket = connect('127.0.0.1:7', { allowHalfOpen: true });
 * const info = await socket.opened;   // { remoteAddress: '127.0.0.1:7', localAddress: …, alpn: null }
 * ```
 */
export function connect(address: AnySocketAddress, options: SocketOptions = {}): Socket {
  const { hostname, port } = parseAddress(address);
  if (typeof options !== 'object' || options === null) throw new SocketError(`Expected \`options\` to be an object, got ${describe(options)}`);
  const secureTransport = options.secureTransport ?? 'off';
  if (!['off', 'on', 'starttls'].includes(secureTransport)) {
    throw new SocketError(`Expected \`options.secureTransport\` to be 'off', 'on' or 'starttls', got ${describe(secureTransport)}`);
  }
  if (secureTransport === 'off' && (options.sni !== undefined || options.alpn !== undefined)) {
    throw new SocketError("`options.sni` and `options.alpn` need secureTransport 'on' or 'starttls'");
  }
  let task: StreamTask;
  try {
    task = session.streamTask({
      host: hostname,
      port,
      ...(secureTransport === 'on' ? { tls: tlsSettings(options, options.sni) } : {}),
    });
  } catch (error) {
    throw socketError(error);
  }
  task.resume();
  const opened = task.opened.then((connection) => socketInfo(connection, connection.tls?.alpnProtocol ?? null));
  return new Socket(task, options, secureTransport, opened);
}

/**
 * A connection as the WinterTC Sockets API sees it. Its streams read and write the task; after
 * `startTls()` they stop (their reads and writes already made still happen, in plaintext, before
 * the handshake), and the returned Socket's streams go on over TLS, with no byte lost between.
 *
 * @example
 * ```ts
 * const socket: Socket = connect('127.0.0.1:7');
 * const writer = socket.writable.getWriter();
 * await writer.write(new TextEncoder().encode('hello'));
 * const { value } = await socket.readable.getReader().read();
 * await socket.close();
 * ```
 *
 * @hideconstructor
 */
export class Socket {
  readonly #task: StreamTask;
  readonly #options: SocketOptions;
  readonly #secureTransport: SecureTransportKind;
  readonly #opened: Promise<SocketInfo>;
  readonly #closed: Promise<void>;
  readonly #readable: ReadableStream<Uint8Array>;
  readonly #writable: WritableStream<WritableData>;
  #resolveClosed!: () => void;
  #rejectClosed!: (error: SocketError) => void;
  /** Set when this socket stopped speaking for the connection (close() or startTls()). */
  #done = false;
  #upgraded = false;
  /**
   * Stops the read in progress when startTls() is called, leaving its bytes to the TLS socket.
   * One per socket, not one per read: this socket reads nothing after it fires.
   */
  readonly #stopReading = new AbortController();
  #readableController!: ReadableStreamDefaultController<Uint8Array>;
  #writableController!: WritableStreamDefaultController;

  /** Made by connect() and startTls(); not for calling yourself. */
  constructor(task: StreamTask, options: SocketOptions, secureTransport: SecureTransportKind, opened: Promise<SocketInfo>) {
    this.#task = task;
    this.#options = options;
    this.#secureTransport = secureTransport;
    this.#opened = handled(opened.catch((error: unknown) => {
      throw socketError(error);
    }));
    this.#closed = handled(new Promise<void>((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    }));
    task.closed.then(() => this.#finish(null), (error: unknown) => this.#finish(error));
    this.#readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#readableController = controller;
      },
      pull: (controller) => this.#pull(controller),
      cancel: () => {
        if (!this.#done) void task.closeRead().catch(() => {});
      },
    }, { highWaterMark: 0 });
    this.#writable = new WritableStream<WritableData>({
      start: (controller) => {
        this.#writableController = controller;
      },
      write: async (chunk) => {
        try {
          await task.write(chunk);
        } catch (error) {
          throw socketError(error);
        }
      },
      close: async () => {
        try {
          await task.closeWrite();
        } catch (error) {
          throw socketError(error);
        }
      },
      abort: (reason) => {
        if (!this.#done) task.cancel(reason);
      },
    });
  }

  /** Bytes from the peer; ends at its FIN. A BYOB reader is not offered (the proposal does not ask for one). */
  get readable(): ReadableStream<Uint8Array> {
    return this.#readable;
  }

  /** Bytes to the peer (strings as UTF-8); `close()` sends FIN, `abort()` resets the connection. */
  get writable(): WritableStream<WritableData> {
    return this.#writable;
  }

  /** Resolves with the addresses (and ALPN) once connected (for TLS: once verified); rejects with a SocketError. */
  get opened(): Promise<SocketInfo> {
    return this.#opened;
  }

  /** Resolves once closed (close(), the peer's FIN without allowHalfOpen, a clean end); rejects with a SocketError. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** True once `startTls()` made a TLS socket of this connection. */
  get upgraded(): boolean {
    return this.#upgraded;
  }

  /** The `secureTransport` this socket was made with (`'on'` for the socket `startTls()` returned). */
  get secureTransport(): SecureTransportKind {
    return this.#secureTransport;
  }

  /**
   * Closes the connection: the readable is cancelled and the writable aborted with `reason`. Returns `closed`.
   *
   * @example
   * ```ts
   * const socket = connect('127.0.0.1:6379');
   * await socket.opened;
   * await socket.close(); // resolves once closed
   * ```
   */
  close(reason?: unknown): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      this.#stopStreams(reason ?? new SocketError('the socket was closed'));
      this.#task.cancel(reason);
      this.#resolveClosed();
    }
    return this.#closed;
  }

  /**
   * Upgrades the connection to TLS in place (STARTTLS) and returns the TLS socket; this one is
   * closed, the connection is not. Only for `secureTransport: 'starttls'`, once. Bytes the peer
   * sent that this socket had not read are the TLS socket's (or, if they came before the
   * handshake in plaintext, the task refuses the upgrade: see docs/tls.md).
   *
   * @example
   * ```ts
   * const plain = connect('127.0.0.1:587', { secureTransport: 'starttls' });
   * // ... EHLO, STARTTLS, read the 220 on plain's streams ...
   * const secure = plain.startTls({ expectedServerHostname: 'mail.example.com' });
   * await secure.opened; // verified
   * ```
   */
  startTls(options: StartTlsOptions = {}): Socket {
    if (this.#secureTransport !== 'starttls') throw new SocketError("startTls() needs secureTransport: 'starttls'");
    if (this.#upgraded || this.#done) throw new SocketError('startTls() was already called, or the socket is closed');
    this.#upgraded = true;
    this.#done = true;
    // A read waiting for bytes stops without taking any: the handshake needs the socket's next bytes.
    this.#stopReading.abort();
    this.#stopStreams(new SocketError('the socket was upgraded: use the socket startTls() returned'));
    this.#resolveClosed();
    const servername = options.expectedServerHostname ?? this.#options.sni;
    const secured = this.#task.startSecureConnection(tlsSettings(this.#options, servername));
    const opened = Promise.all([this.#task.opened, secured]).then(([connection, info]) => socketInfo(connection, info.alpnProtocol));
    return new Socket(this.#task, { ...this.#options, secureTransport: 'on' }, 'on', opened);
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    let result;
    try {
      result = await this.#task.readData({ signal: this.#stopReading.signal });
    } catch (error) {
      if (!this.#done) controller.error(socketError(error));
      return;
    }
    if (result.data.length > 0) controller.enqueue(result.data);
    if (!result.atEOF) return;
    controller.close();
    // Without allowHalfOpen, the peer's FIN closes the whole socket (our FIN follows).
    if (this.#options.allowHalfOpen !== true && !this.#done) void this.#task.closeWrite().catch(() => {});
  }

  #stopStreams(reason: unknown): void {
    try {
      this.#readableController.error(reason);
    } catch {
      // already closed or errored
    }
    this.#writableController.error(reason);
  }

  /** The task ended: a clean end (or our own close) resolves `closed`; a failure rejects it. */
  #finish(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (error === null || (error instanceof StreamTaskError && error.code === 'cancelled')) {
      this.#resolveClosed();
      return;
    }
    const failure = socketError(error);
    this.#stopStreams(failure);
    this.#rejectClosed(failure);
  }
}
