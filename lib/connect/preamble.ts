/**
 * A preamble is a step a way in runs on the freshly opened connection before the task's lanes
 * open: an HTTP CONNECT or SOCKS5 handshake with a proxy (before TLS), or an HTTP Upgrade request
 * (after TLS). It reads through the task's own buffer, so whatever the peer sends after the part
 * the preamble takes (the first bytes of the tunneled or upgraded protocol) simply stays there as
 * the task's first bytes: nothing is lost, nothing is copied to a side buffer.
 */
import type { ErrorContext } from '../errors.js';

export interface PreambleIO {
  /** The host and port the task is for (not the proxy's). */
  readonly host: string;
  readonly port: number;
  /** An error context for the preamble's own messages. */
  context(operation: string): ErrorContext;
  /** Writes raw bytes; resolves when the kernel accepted them. */
  write(bytes: Uint8Array | string): Promise<void>;
  /** Reads up to and including `delimiter`, at most `maxLength` bytes (else limitOverrun). */
  readUntil(delimiter: string, maxLength: number): Promise<Uint8Array>;
  /** Reads exactly `count` bytes. */
  readExactly(count: number): Promise<Uint8Array>;
  /** Takes up to `maxLength` bytes that are buffered now, waiting at most `waitMs` for the first. */
  readSome(maxLength: number, waitMs: number): Promise<Uint8Array>;
}

export type Preamble = (io: PreambleIO) => Promise<void>;

/** Where TCP goes, and what runs before the task is open. */
export interface Route {
  /** The first hop: the target itself, or a proxy. */
  host: string;
  port: number;
  /** A name for the first hop in messages and metrics, e.g. "HTTP proxy 127.0.0.1:3128". */
  via: string | null;
  /** Steps before TLS (proxy handshakes). */
  beforeTls: Preamble[];
  /** Steps after TLS (an HTTP Upgrade request). */
  afterTls: Preamble[];
}
