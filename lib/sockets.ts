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
import type { TLSOptions } from './tls/secure.js';
import type { ConnectionInfo, WritableData } from './types.js';
import { describe } from './validate.js';

/**
 * Where to connect: `{ hostname, port }`.
 *
 * @example
 * ```ts
 * const address: SocketAddress = { hostname: '127.0.0.1', port: 6379 };
 * const socket = connect(address);
 * ```
 */
export interface SocketAddress {
  /** A host name or an IP address (an IPv6 address without brackets). */
  hostname: string;
  /** 1 to 65535. */
  port: number;
}

/**
 * `{ hostname, port }`, or `"hostname:port"` (`"[::1]:443"` for an IPv6 literal).
 *
 * @example
 * ```ts
 * const addresses: AnySocketAddress[] = ['127.0.0.1:6379', '[::1]:443', { hostname: 'localhost', port: 25 }];
 * ```
 */
export type AnySocketAddress = string | SocketAddress;

/**
 * `'off'`: plaintext; `'on'`: TLS from the start; `'starttls'`: plaintext until `startTls()`.
 *
 * @example
 * ```ts
 * const secureTransport: SecureTransportKind = 'starttls';
 * const socket = connect('127.0.0.1:587', { secureTransport });
 * ```
 */
export type SecureTransportKind = 'off' | 'on' | 'starttls';

/**
 * The proposal's options, and `tls` (this implementation's binding options, see below).
 *
 * @example
 * ```ts
 * const options: SocketOptions = { secureTransport: 'on', alpn: ['h2', 'http/1.1'], sni: 'example.com' };
 * const socket = connect('127.0.0.1:8443', options);
 * ```
 */
export interface SocketOptions {
  /** Default `'off'`. */
  secureTransport?: SecureTransportKind;
  /** False (the default): the socket closes itself once its readable has read the peer's FIN. */
  allowHalfOpen?: boolean;
  /** The name sent as SNI and verified. Default: the hostname. */
  sni?: string;
  /** ALPN protocols to offer. */
  alpn?: string[];
  /**
   * streamtask's TLS settings (`ca`, client `cert`/`key`, pins, …), laid under `sni` and `alpn`:
   * the proposal's "binding object" options. Verification stays on unless you turn it off here.
   */
  tls?: TLSOptions;
}

/**
 * What `opened` resolves with. Addresses as `"host:port"`.
 *
 * @example
 * ```ts
 * const info: SocketInfo = await connect('127.0.0.1:6379').opened;
 * console.log(info.remoteAddress, info.localAddress);
 * ```
 */
export interface SocketInfo {
  /** The peer, as `"127.0.0.1:6379"` or `"[::1]:6379"`. */
  remoteAddress: string | null;
  /** Our end, in the same form. */
  localAddress: string | null;
  /** The protocol ALPN agreed on, or null. */
  alpn: string | null;
}

/**
 * `startTls()`'s options, as Cloudflare's: the name to verify when it is not the hostname.
 *
 * @example
 * ```ts
 * const plain = connect('127.0.0.1:587', { secureTransport: 'starttls' });
 * const options: StartTlsOptions = { expectedServerHostname: 'mail.example.com' };
 * const secure = plain.startTls(options);
 * ```
 */
export interface StartTlsOptions {
  /** The name to verify and send as SNI. Default: the hostname given to `connect()`. */
  expectedServerHostname?: string;
}

/**
 * The proposal's SocketError: a TypeError whose message starts with `"SocketError: "`. `cause`
 * holds the task's {@link StreamTaskError} (its `code` says what happened) when there is one.
 *
 * @example
 * ```ts
 * try {
 *   await connect('127.0.0.1:1').opened;
 * } catch (error) {
 *   if (error instanceof SocketError) console.log(error.message, (error.cause as StreamTaskError | undefined)?.code);
 * }
 * ```
 */
export class SocketError extends TypeError {
  /** Always `'SocketError'`. */
  override name = 'SocketError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(`SocketError: ${message}`, options);
  }
}

const session = new Session();

function socketError(error: unknown): SocketError {
  if (error instanceof SocketError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SocketError(message, { cause: error });
}

/** A promise whose rejection is handled (the proposal marks opened and closed as handled). */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function hostPort(host: string, port: number): string | null {
  if (host === '') return null;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function socketInfo(connection: ConnectionInfo, alpn: string | null): SocketInfo {
  return {
    remoteAddress: hostPort(connection.remoteAddress, connection.remotePort),
    localAddress: hostPort(connection.localAddress, connection.localPort),
    alpn,
  };
}

/** Parses `"host:port"`, `"[v6]:port"` or `{ hostname, port }`; throws a SocketError naming what is wrong. */
function parseAddress(address: unknown): SocketAddress {
  if (typeof address === 'string') {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
    if (match === null) throw new SocketError(`Expected \`address\` as "hostname:port" or "[ipv6]:port", got ${describe(address)}`);
    return { hostname: (match[1] ?? match[2])!, port: Number(match[3]) };
  }
  if (typeof address === 'object' && address !== null) {
    const { hostname, port } = address as Partial<SocketAddress>;
    if (typeof hostname === 'string' && hostname !== '' && typeof port === 'number') return { hostname, port };
  }
  throw new SocketError(`Expected \`address\` to be "hostname:port" or { hostname, port }, got ${describe(address)}`);
}

function tlsSettings(options: SocketOptions, servername: string | undefined): TLSOptions {
  const settings: TLSOptions = { ...options.tls };
  if (servername !== undefined) settings.servername = servername;
  if (options.alpn !== undefined) settings.ALPNProtocols = options.alpn;
  return settings;
}

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

  /** @internal Made by connect() and startTls(). */
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
