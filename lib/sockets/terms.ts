/**
 * The WinterTC Sockets API's terms (addresses, options, what `opened` says, SocketError) and
 * their mapping to the task's: parsing an address, the TLS settings, a task error as a
 * SocketError. The Socket itself is in ../sockets.ts.
 */
import type { StreamTaskError } from '../errors.js';
import type { TLSOptions } from '../tls/secure.js';
import type { ConnectionInfo } from '../types.js';
import { describe } from '../validate.js';

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

export function socketError(error: unknown): SocketError {
  if (error instanceof SocketError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SocketError(message, { cause: error });
}

/** A promise whose rejection is handled (the proposal marks opened and closed as handled). */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function hostPort(host: string, port: number): string | null {
  if (host === '') return null;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function socketInfo(connection: ConnectionInfo, alpn: string | null): SocketInfo {
  return {
    remoteAddress: hostPort(connection.remoteAddress, connection.remotePort),
    localAddress: hostPort(connection.localAddress, connection.localPort),
    alpn,
  };
}

/** Parses `"host:port"`, `"[v6]:port"` or `{ hostname, port }`; throws a SocketError naming what is wrong. */
export function parseAddress(address: unknown): SocketAddress {
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

export function tlsSettings(options: SocketOptions, servername: string | undefined): TLSOptions {
  const settings: TLSOptions = { ...options.tls };
  if (servername !== undefined) settings.servername = servername;
  if (options.alpn !== undefined) settings.ALPNProtocols = options.alpn;
  return settings;
}
