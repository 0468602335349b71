/**
 * Every error streamtask raises, in one place. Callers test `code`, never the message text.
 */

/**
 * The failure classes of a stream task. Each maps to one of Foundation's `URLError` codes; the
 * list with what each means and what to do is docs/errors.md.
 *
 * @example
 * ```ts
 * const retryable = (code: StreamTaskErrorCode): boolean =>
 *   code === 'timedOut' || code === 'networkConnectionLost' || code === 'cannotConnectToHost';
 * ```
 */
export type StreamTaskErrorCode =
  | 'cancelled'
  | 'timedOut'
  | 'cannotFindHost'
  | 'cannotConnectToHost'
  | 'networkConnectionLost'
  | 'badServerResponse'
  | 'secureConnectionFailed'
  | 'serverCertificateUntrusted'
  | 'invalidState'
  | 'incompleteRead'
  | 'limitOverrun';

/**
 * Foundation's `URLError.Code` numbers (Apple's values, not swift-corelibs-foundation's).
 *
 * @example
 * ```ts
 * URL_ERROR_CODES.timedOut; // -1001, as NSURLErrorTimedOut
 * ```
 */
export const URL_ERROR_CODES: Readonly<Record<StreamTaskErrorCode, number>> = Object.freeze({
  cancelled: -999,
  timedOut: -1001,
  cannotFindHost: -1003,
  cannotConnectToHost: -1004,
  networkConnectionLost: -1005,
  badServerResponse: -1011,
  secureConnectionFailed: -1200,
  serverCertificateUntrusted: -1202,
  invalidState: -1,
  // Protocol reads Apple's task does not have (asyncio's IncompleteReadError, LimitOverrunError):
  // Foundation has no number for them, so they use NSURLErrorUnknown as invalidState does.
  incompleteRead: -1,
  limitOverrun: -1,
});

/**
 * The answer of a server or proxy that refused an upgrade or a tunnel (`badServerResponse`).
 *
 * @example
 * ```ts
 * try {
 *   await session.upgrade('http://127.0.0.1:8080/chat', { protocol: 'websocket' });
 * } catch (error) {
 *   const response: ErrorResponse | undefined = error instanceof StreamTaskError ? error.response : undefined;
 *   if (response) console.log(response.status, response.headers['www-authenticate']);
 * }
 * ```
 */
export interface ErrorResponse {
  /** The status code, for example 403. */
  status: number;
  /** The reason phrase, for example `'Forbidden'`. */
  statusText: string;
  /** Lower-case names, repeated fields joined with ", ". */
  headers: Record<string, string>;
  /** Every field as sent, name and value, in order. */
  rawHeaders: [string, string][];
  /** The start of the body: what had arrived, at most 1024 bytes. */
  body: Uint8Array;
}

/**
 * Extra facts an error may carry: what a test double or a wrapper passes to the constructor.
 *
 * @example
 * ```ts
 * const options: StreamTaskErrorOptions = { partialLength: 3, expectedLength: 8 };
 * const error = new StreamTaskError('incompleteRead', 'readExactly: end of stream after 3 of 8 bytes', options);
 * ```
 */
export interface StreamTaskErrorOptions {
  /** The error underneath (a Node system error, an abort reason). */
  cause?: unknown;
  /**
   * For a write that timed out or was aborted: how many of its bytes had already been handed to
   * the socket and will still be sent, in order (0 or the whole write; writes are never split).
   */
  committedBytes?: number;
  /** For `incompleteRead`: how many bytes had come (they stay buffered). */
  partialLength?: number;
  /** For `incompleteRead` of readExactly and `limitOverrun`: how many bytes were asked for or allowed. */
  expectedLength?: number;
  /** For `badServerResponse` from an HTTP upgrade or proxy: what the server answered. */
  response?: ErrorResponse;
}

/**
 * The error every stream task operation rejects with, except bad arguments (`TypeError`,
 * `RangeError`).
 *
 * @example
 * ```ts
 * try {
 *   await task.readData({ timeout: 1000 });
 * } catch (error) {
 *   if (error instanceof StreamTaskError && error.code === 'timedOut') {
 *     // Only this read failed: the task is still usable and no byte was lost.
 *   }
 * }
 * ```
 */
export class StreamTaskError extends Error {
  /** Always `'StreamTaskError'`. */
  override readonly name = 'StreamTaskError';
  /** What kind of failure this is. Stable: test this, not the message. */
  readonly code: StreamTaskErrorCode;
  /** Foundation's `URLError` number for `code`, for code ported from Swift. */
  readonly urlErrorCode: number;
  /** For writes that timed out or were aborted: bytes already committed to the socket. */
  readonly committedBytes?: number;
  /** For `incompleteRead`: how many bytes had come before end of stream (they stay buffered). */
  readonly partialLength?: number;
  /** For `incompleteRead` (readExactly) and `limitOverrun`: the length asked for or allowed. */
  readonly expectedLength?: number;
  /** For `badServerResponse` from an HTTP upgrade or proxy: what the server answered. */
  readonly response?: ErrorResponse;

  /** Streamtask makes these; make one yourself only to stand in for a task's error. */
  constructor(code: StreamTaskErrorCode, message: string, options: StreamTaskErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.urlErrorCode = URL_ERROR_CODES[code];
    if (options.committedBytes !== undefined) this.committedBytes = options.committedBytes;
    if (options.partialLength !== undefined) this.partialLength = options.partialLength;
    if (options.expectedLength !== undefined) this.expectedLength = options.expectedLength;
    if (options.response !== undefined) this.response = options.response;
  }
}

/** Where an error happened, for messages that name the operation, host and port. */
export interface ErrorContext {
  operation: string;
  host?: string | undefined;
  port?: number | undefined;
}

function where(context: ErrorContext): string {
  if (context.host === undefined) return context.operation;
  const host = context.host.includes(':') ? `[${context.host}]` : context.host;
  return context.port === undefined ? `${context.operation} to ${host}` : `${context.operation} to ${host}:${context.port}`;
}

/** Builds a StreamTaskError whose message starts with the operation and the peer. */
export function streamTaskError(
  code: StreamTaskErrorCode,
  context: ErrorContext,
  detail: string,
  options: StreamTaskErrorOptions = {},
): StreamTaskError {
  return new StreamTaskError(code, `${where(context)}: ${detail}`, options);
}

/** `cancelled`, with the abort reason as the cause. */
export function cancelledError(context: ErrorContext, reason?: unknown): StreamTaskError {
  const said = messageOf(reason);
  const because = said === undefined ? '' : `: ${said}`;
  return streamTaskError('cancelled', context, `cancelled${because}`, { cause: reason });
}

/** `timedOut`, naming the time limit that ran out. */
export function timedOutError(context: ErrorContext, milliseconds: number, what = 'timed out'): StreamTaskError {
  return streamTaskError('timedOut', context, `${what} after ${milliseconds} ms`);
}

/** `invalidState`, naming the state that forbids the operation. */
export function invalidStateError(context: ErrorContext, why: string): StreamTaskError {
  return streamTaskError('invalidState', context, why);
}

/**
 * A write to a captured writable after its close began: the TypeError the Streams standard
 * gives, with the code Node gives its own stream-state errors.
 */
export function streamClosedError(): TypeError {
  return Object.assign(new TypeError('Invalid state: WritableStream is closing or closed'), { code: 'ERR_INVALID_STATE' });
}

const SYSTEM_CODES: Readonly<Record<string, StreamTaskErrorCode>> = {
  ENOTFOUND: 'cannotFindHost',
  EAI_AGAIN: 'cannotFindHost',
  EAI_NONAME: 'cannotFindHost',
  EAI_NODATA: 'cannotFindHost',
  EAI_FAIL: 'cannotFindHost',
  ECONNREFUSED: 'cannotConnectToHost',
  EHOSTUNREACH: 'cannotConnectToHost',
  ENETUNREACH: 'cannotConnectToHost',
  EADDRNOTAVAIL: 'cannotConnectToHost',
  ENETDOWN: 'cannotConnectToHost',
  ECONNRESET: 'networkConnectionLost',
  ECONNABORTED: 'networkConnectionLost',
  EPIPE: 'networkConnectionLost',
  ERR_STREAM_DESTROYED: 'networkConnectionLost',
  ERR_STREAM_WRITE_AFTER_END: 'networkConnectionLost',
  ERR_SOCKET_CLOSED: 'networkConnectionLost',
  ETIMEDOUT: 'timedOut',
};

/** The `code` of a Node system error, if it has one. */
export function systemCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

/**
 * Maps a Node socket or DNS error to a StreamTaskError. `fallback` is used for errors with no
 * known system code (for example a reset that Node reports without one).
 */
export function fromSystemError(
  error: unknown,
  context: ErrorContext,
  fallback: StreamTaskErrorCode = 'networkConnectionLost',
): StreamTaskError {
  if (error instanceof StreamTaskError) return error;
  const sys = systemCode(error);
  const code = (sys !== undefined ? SYSTEM_CODES[sys] : undefined) ?? fallback;
  return streamTaskError(code, context, messageOf(error) ?? String(error), { cause: error });
}

/**
 * The message of an error-like value. Not `instanceof Error`: errors from Node's internals may
 * come from another realm (a vm context, a test runner).
 */
export function messageOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string') {
    return value.message;
  }
  return undefined;
}
