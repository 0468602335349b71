/**
 * Argument checks, done once at the edge. Each message names the argument, the accepted range and
 * the value received, in the form p-queue made familiar:
 * "Expected `minLength` to be an integer from 0 to 4294967296, got `-1` (number)".
 */
import { constants as bufferConstants } from 'node:buffer';
import { MAX_TIMER_MS } from './constants.js';

/**
 * The shape of an AbortSignal; the `abort-controller` polyfill's signals have it too.
 *
 * @example
 * ```ts
 * const signal: AbortSignalLike = AbortSignal.timeout(5000);
 * const { data } = await task.readData({ minLength: 1, signal });
 * ```
 */
export interface AbortSignalLike {
  /** True once the signal has fired. */
  readonly aborted: boolean;
  /** Why it fired; becomes the `cause` of the `cancelled` error. */
  readonly reason?: unknown;
  /** Subscribes to the abort (the task listens once per waiting operation). */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  /** Unsubscribes when the operation settles first. */
  removeEventListener(type: 'abort', listener: () => void): void;
}

export function describe(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  else if (typeof value === 'bigint') shown = `${value}n`;
  else if (typeof value === 'symbol' || typeof value === 'function') shown = String(value);
  else if (value === null || typeof value !== 'object') shown = String(value);
  else shown = Object.prototype.toString.call(value);
  return `\`${shown}\` (${value === null ? 'null' : typeof value})`;
}

/** An integer in [min, max]; `undefined` gives `fallback`. */
export function integerArgument(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** A time limit in milliseconds: 0 or Infinity mean none. Returns 0 for none. */
export function timeoutArgument(name: string, value: unknown, fallback = 0): number {
  if (value === undefined) return fallback;
  const range = `a number of milliseconds from 0 to ${MAX_TIMER_MS} (0 or Infinity for none)`;
  if (typeof value !== 'number') throw new TypeError(`Expected \`${name}\` to be ${range}, got ${describe(value)}`);
  if (value === Infinity) return 0;
  if (Number.isNaN(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new RangeError(`Expected \`${name}\` to be ${range}, got ${describe(value)}`);
  }
  return value;
}

export function booleanArgument(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  return value;
}

export function stringArgument(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`Expected \`${name}\` to be a string, got ${describe(value)}`);
  return value;
}

export function hostArgument(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`Expected \`host\` to be a non-empty string, got ${describe(value)}`);
  }
  if (/[\s\0]/.test(value)) throw new TypeError(`Expected \`host\` to contain no white space or NUL, got ${describe(value)}`);
  return value;
}

/** The path of a Unix domain socket (on Linux, one that starts with NUL is in the abstract namespace). */
export function pathArgument(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`Expected \`${name}\` to be the non-empty path of a Unix domain socket, got ${describe(value)}`);
  }
  return value;
}

export function portArgument(value: unknown): number {
  if (typeof value === 'string' && /^\d+$/.test(value)) value = Number(value);
  if (value === undefined) throw new TypeError(`Expected \`port\` to be an integer from 1 to 65535, got ${describe(value)}`);
  return integerArgument('port', value, 0, 1, 65535);
}

export function signalArgument(name: string, value: unknown): AbortSignalLike | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value === 'object' && value !== null &&
    typeof (value as AbortSignalLike).aborted === 'boolean' &&
    typeof (value as AbortSignalLike).addEventListener === 'function' &&
    typeof (value as AbortSignalLike).removeEventListener === 'function'
  ) {
    return value as AbortSignalLike;
  }
  throw new TypeError(`Expected \`${name}\` to be an AbortSignal, got ${describe(value)}`);
}

/** What no options read as: one shared object, not a new one per call (reads and writes pass none). */
const NO_OPTIONS = Object.freeze({});

export function optionsArgument<T extends object>(name: string, value: unknown): Partial<T> {
  if (value === undefined) return NO_OPTIONS;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`Expected \`${name}\` to be an object, got ${describe(value)}`);
  }
  return value as Partial<T>;
}

/** The largest Buffer this Node can allocate: the bound on anything we must hold in one piece. */
export const MAX_BYTES = bufferConstants.MAX_LENGTH;

/**
 * Bytes to send, as a Uint8Array view over the caller's memory (no copy). Strings are UTF-8 and
 * must be well formed: a lone surrogate would otherwise be replaced silently by U+FFFD.
 */
export function bytesArgument(name: string, value: unknown): Uint8Array {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) {
      throw new TypeError(`Expected \`${name}\` to be a well-formed string (it has a lone surrogate), got ${describe(value)}`);
    }
    return Buffer.from(value, 'utf8');
  }
  if (value instanceof Uint8Array) return checkAttached(name, value);
  if (ArrayBuffer.isView(value)) {
    return checkAttached(name, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
    if (isDetached(value)) throw new TypeError(`Expected \`${name}\` to be a usable ArrayBuffer, got a detached one`);
    return new Uint8Array(value);
  }
  throw new TypeError(`Expected \`${name}\` to be a Uint8Array, ArrayBufferView, ArrayBuffer or string, got ${describe(value)}`);
}

/** A non-empty delimiter: bytes, or a well-formed string sent as UTF-8. */
export function delimiterArgument(name: string, value: unknown): Uint8Array {
  // A protocol reads with the same delimiter again and again: encode a string once, not per read.
  if (value === lastDelimiter) return lastDelimiterBytes;
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty string or Uint8Array, got ${describe(value)}`);
  }
  const bytes = bytesArgument(name, value);
  if (bytes.length === 0) throw new RangeError(`Expected \`${name}\` to be a non-empty string or Uint8Array, got an empty one`);
  if (typeof value === 'string') {
    lastDelimiter = value;
    lastDelimiterBytes = bytes;
  }
  return bytes;
}

/** The last string delimiter and its UTF-8 bytes (never handed out to be changed: reads only search with it). */
let lastDelimiter: string | undefined;
let lastDelimiterBytes: Uint8Array = new Uint8Array(0);

function isDetached(buffer: ArrayBuffer | SharedArrayBuffer): boolean {
  // Node 20 has no `ArrayBuffer.prototype.detached`; constructing a view over a detached buffer throws.
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function checkAttached(name: string, view: Uint8Array): Uint8Array {
  // Only an empty view can be over a detached buffer. Checked first because reading `.buffer`
  // is a call into V8's runtime (and moves a small Buffer's bytes off the heap), on every write.
  if (view.byteLength === 0 && view.buffer instanceof ArrayBuffer && isDetached(view.buffer)) {
    throw new TypeError(`Expected \`${name}\` to be usable bytes, got a view of a detached ArrayBuffer`);
  }
  return view;
}
