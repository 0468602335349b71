/**
 * The stream a stoppable TLS session runs over (`allowStop: true`), so the task can go back to
 * plaintext on the same TCP connection (`stopSecureConnection()`, as FTP's CCC does).
 *
 * Node's TLS socket normally takes over the TCP socket's handle and reads ahead: bytes behind the
 * peer's close_notify would be swallowed. Here the TLS socket reads from this Duplex instead, which
 * hands it one whole TLS record at a time and looks after each whether the TLS socket's read side
 * ended: that record was the peer's close_notify (in TLS 1.3 an alert looks like any other record
 * from outside, so only the TLS engine can tell). Whatever arrived behind it is plaintext and
 * stays here for the task. Node processes a record handed over this way synchronously
 * (JSStreamSocket → TLSWrap → SSL_read), so "after each record" is exact.
 *
 * It is slower than the handle path (one JS hop per record and per write), which is why it is
 * opt-in.
 */
import { Duplex } from 'node:stream';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { ReadBuffer } from '../io/read-buffer.js';

/** TLS record header: type (1), legacy version (2), length (2). */
const RECORD_HEADER_BYTES = 5;
/** Raw bytes held before the TCP socket is paused (a few full records). */
const RAW_HIGH_WATER_BYTES = 64 * 1024;

export class TlsRecordFeed extends Duplex {
  readonly #plain: net.Socket;
  /** Raw bytes from the TCP socket not yet handed to TLS. */
  readonly #raw = new ReadBuffer();
  #secure: tls.TLSSocket | null = null;
  #pumping = false;
  /** The peer's close_notify went through: what is left in #raw is plaintext. */
  #closeNotified = false;
  /** The TCP socket's read side ended (FIN) before this feed was detached. */
  #plainEnded = false;
  #detached = false;
  #endPushed = false;
  #waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  readonly #onPlainEnd = (): void => {
    this.#plainEnded = true;
    // Records still waiting go in before the end of stream (#pump pushes it).
    this.#pump();
    if (this.#closeNotified) return;
    this.#settleWaiters(new Error('the peer closed the connection before its close_notify'));
  };
  readonly #onPlainError = (error: Error): void => {
    this.destroy(error);
  };
  readonly #onPlainClose = (): void => {
    // Destroyed (the task was cancelled): nothing more will come.
    if (!this.#closeNotified) this.#settleWaiters(new Error('the connection closed before the peer\'s close_notify'));
  };

  constructor(plain: net.Socket) {
    super({ allowHalfOpen: true });
    this.#plain = plain;
    plain.on('end', this.#onPlainEnd);
    plain.on('error', this.#onPlainError);
    plain.on('close', this.#onPlainClose);
  }

  /** The TLS socket reading from this feed; call right after `tls.connect({ socket: feed })`. */
  attach(secure: tls.TLSSocket): void {
    this.#secure = secure;
    // Added after the TLS socket's own 'data' listener, so it runs once TLS has taken the record.
    this.on('data', this.#afterRecord);
  }

  /** Bytes the TCP socket read. Returns false to pause it until the feed has room again. */
  accept(chunk: Buffer): boolean {
    this.#raw.push(chunk);
    this.#pump();
    return this.#raw.length < RAW_HIGH_WATER_BYTES || this.#closeNotified;
  }

  get plainEnded(): boolean {
    return this.#plainEnded;
  }

  /**
   * Resolves once the peer's close_notify has gone through; rejects if the connection ends or
   * fails first.
   */
  closeNotify(): Promise<void> {
    if (this.#closeNotified) return Promise.resolve();
    if (this.destroyed || this.#plainEnded || this.#plain.destroyed) {
      return Promise.reject(new Error('the connection ended before the peer\'s close_notify'));
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Stops listening to the TCP socket; returns the plaintext that arrived behind close_notify. */
  detach(): Buffer[] {
    this.#unlisten();
    return this.#raw.drain();
  }

  #unlisten(): void {
    this.#detached = true;
    this.#plain.off('end', this.#onPlainEnd);
    this.#plain.off('error', this.#onPlainError);
    this.#plain.off('close', this.#onPlainClose);
  }

  override _read(): void {
    this.#pump();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#plain.write(chunk)) callback();
    else this.#plain.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    // TLS shut down (our close_notify is written). That alone never ends the TCP connection: Bun's
    // TLS socket shuts down by itself at the peer's close_notify, before the task may stop TLS and
    // go on in plaintext. The task's closeWrite() sends the FIN (endPlain).
    callback();
  }

  /** The task closes its write side: FIN on the TCP connection, after our close_notify. */
  endPlain(callback: (error?: Error | null) => void): void {
    this.#plain.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // The TCP socket is the task's: it decides when to close it. (The TLS socket destroys its feed
    // as soon as both its sides are done, before the task has taken the plaintext behind.)
    this.#unlisten();
    this.#settleWaiters(error ?? new Error('the secure connection was closed'));
    callback(error);
  }

  /** Hands TLS whole records, one at a time, while it takes them and until close_notify. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      // A record still sitting in our readable buffer has not reached TLS yet: wait for it.
      while (!this.#closeNotified && !this.#detached && this.readableLength === 0) {
        const record = this.#takeRecord();
        if (record === null) break;
        this.push(record);
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#plainEnded && !this.#closeNotified && !this.#endPushed && this.readableLength === 0) {
      // What is left is not a whole record: TLS sees the end of stream (a truncation, if anything is left).
      this.#endPushed = true;
      this.push(null);
    }
    if (this.#raw.length < RAW_HIGH_WATER_BYTES && this.#plain.isPaused() && !this.#detached) this.#plain.resume();
  }

  readonly #afterRecord = (): void => {
    const state = (this.#secure as unknown as { _readableState?: { ended?: boolean } } | null)?._readableState;
    if (state?.ended === true) {
      this.#closeNotified = true;
      this.#settleWaiters(null);
      return;
    }
    this.#pump();
  };

  #settleWaiters(error: Error | null): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error === null) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /** The next whole record from #raw, or null if it has not all arrived. */
  #takeRecord(): Buffer | null {
    const raw = this.#raw;
    if (raw.length < RECORD_HEADER_BYTES) return null;
    const size = RECORD_HEADER_BYTES + ((raw.byteAt(3) << 8) | raw.byteAt(4));
    return raw.length < size ? null : raw.takeExactly(size);
  }
}
