/**
 * The read operations: argument checks, the fast path for a line already buffered, and the read
 * objects submitted to the read lane. Owns what each read asks for; how bytes arrive and wake a
 * waiting read is the machine's (onBytes, wakeReader, flow control).
 */
import { DEFAULT_MAX_LENGTH } from '../constants.js';
import { lineResult, readIterator } from '../io/read-iterator.js';
import { ChunkRead, DataRead, DelimitedRead, ExactRead, type AtEOFWithoutDelimiter } from '../io/read-ops.js';
import type { AbortSignalLike, OperationOptions, ReadOptions, ReadResult } from '../types.js';
import { delimiterArgument, integerArgument, MAX_BYTES, optionsArgument, signalArgument, timeoutArgument } from '../validate.js';
import { CAPTURED, EOF_RECEIVED, READ_CLOSING } from './flags.js';
import type { DelimitedReadOptions } from './stream-task.js';
import { submitRead } from './bytes-in.js';
import type { TaskMachine } from './task-machine.js';

const LINE_FEED = new Uint8Array([0x0a]);

export function readData(task: TaskMachine, options?: ReadOptions): Promise<ReadResult> {
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
  return submitRead(task, new DataRead('readData', task.sides, timeout, signal, minLength, maxLength));
}

export function readExactly(task: TaskMachine, count: number, options?: OperationOptions): Promise<Uint8Array> {
  let timeout: number, signal: AbortSignalLike | undefined;
  try {
    // No default: a read of "some" bytes is readData; without a count this would wait forever.
    if (count === undefined) throw new TypeError(`Expected \`count\` to be an integer from 0 to ${MAX_BYTES}, got undefined`);
    integerArgument('count', count, 0, 0, MAX_BYTES);
    ({ timeout, signal } = operationOptions(options));
  } catch (error) {
    return Promise.reject(error);
  }
  return submitRead(task, new ExactRead('readExactly', task.sides, timeout, signal, count));
}

export function readUntil(task: TaskMachine, delimiter: string | Uint8Array, options?: DelimitedReadOptions): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = delimiterArgument('delimiter', delimiter);
  } catch (error) {
    return Promise.reject(error);
  }
  return delimitedRead(task, 'readUntil', bytes, options, 'reject', false) as Promise<Uint8Array>;
}

export function readLine(task: TaskMachine, options?: DelimitedReadOptions): Promise<string | null> {
  return delimitedRead(task, 'readLine', LINE_FEED, options, 'rest', true) as Promise<string | null>;
}

export function lines(task: TaskMachine, options?: DelimitedReadOptions): AsyncIterableIterator<string> {
  let maxLength = DEFAULT_MAX_LENGTH, timeout = 0, signal: AbortSignalLike | undefined;
  let invalid: unknown = null;
  try {
    if (options !== undefined) ({ maxLength, timeout, signal } = delimitedOptions(LINE_FEED, options));
  } catch (error) {
    // Like every operation, bad input rejects (the first step) rather than throwing.
    invalid = error;
  }
  // Once the lines ended, every step is done (without reading: the task may have closed since).
  let ended = false;
  const toResult = (line: string | Uint8Array | null): IteratorResult<string, undefined> => {
    if (line === null) ended = true;
    return lineResult(line);
  };
  return readIterator<string>(invalid, () => {
    if (ended) return Promise.resolve(lineResult(null));
    // A line already buffered is one resolved promise: no read object, no lane.
    const end = bufferedEnd(task, LINE_FEED, maxLength, signal);
    if (end >= 0) return Promise.resolve({ value: takeBuffered(task, end, true) as string, done: false });
    return submitRead(task, new DelimitedRead('readLine', task.sides, timeout, signal, LINE_FEED, maxLength, 'rest', true)).then(toResult);
  });
}

export function chunks(task: TaskMachine, options?: Omit<ReadOptions, 'minLength'>): AsyncIterableIterator<Uint8Array> {
  let maxLength = 0, timeout = 0, signal: AbortSignalLike | undefined;
  let invalid: unknown = null;
  try {
    const given = optionsArgument<ReadOptions>('options', options);
    maxLength = integerArgument('maxLength', given.maxLength, DEFAULT_MAX_LENGTH, 1, Number.MAX_SAFE_INTEGER);
    timeout = timeoutArgument('timeout', given.timeout);
    signal = signalArgument('signal', given.signal);
  } catch (error) {
    // Like every operation, bad input rejects (the first step) rather than throwing.
    invalid = error;
  }
  // Each step is one read resolving to the iterator result itself.
  return readIterator<Uint8Array>(invalid, () => submitRead(task, new ChunkRead(task.sides, timeout, signal, maxLength)));
}

/** readUntil and readLine, the delimiter checked: at once from the buffer if it can, else on the read lane. */
function delimitedRead(
  task: TaskMachine,
  operation: string,
  bytes: Uint8Array,
  options: DelimitedReadOptions | undefined,
  atEOF: AtEOFWithoutDelimiter,
  asLine: boolean,
): Promise<Uint8Array | string | null> {
  let maxLength = DEFAULT_MAX_LENGTH, timeout = 0, signal: AbortSignalLike | undefined;
  try {
    if (options !== undefined || bytes.length > DEFAULT_MAX_LENGTH) ({ maxLength, timeout, signal } = delimitedOptions(bytes, options));
  } catch (error) {
    return Promise.reject(error);
  }
  const end = bufferedEnd(task, bytes, maxLength, signal);
  if (end >= 0) return Promise.resolve(takeBuffered(task, end, asLine));
  return submitRead(task, new DelimitedRead(operation, task.sides, timeout, signal, bytes, maxLength, atEOF, asLine));
}

function delimitedOptions(delimiter: Uint8Array, options: unknown): { maxLength: number; timeout: number; signal: AbortSignalLike | undefined } {
  const given = optionsArgument<DelimitedReadOptions>('options', options);
  const maxLength = integerArgument('maxLength', given.maxLength, DEFAULT_MAX_LENGTH, delimiter.length, MAX_BYTES);
  return { maxLength, ...operationOptions(given) };
}

/**
 * Where a delimited read ends if it can finish now from the buffer without the read lane (the
 * lane is idle, so it would run at once and find the same bytes), or -1. Anything else (a
 * waiting read ahead of it, no delimiter yet, an aborted signal, a capture) takes the lane.
 */
function bufferedEnd(task: TaskMachine, delimiter: Uint8Array, maxLength: number, signal: AbortSignalLike | undefined): number {
  if (!task.sides.idle || task.has(CAPTURED | READ_CLOSING) || task.failure?.code === 'cancelled' || signal?.aborted === true) return -1;
  const at = task.buffer.indexOf(delimiter, 0, maxLength);
  return at < 0 ? -1 : at + delimiter.length;
}

/** Takes the `count` bytes bufferedEnd found, as a line or as bytes. */
function takeBuffered(task: TaskMachine, count: number, asLine: boolean): Uint8Array | string {
  const buffer = task.buffer;
  const taken = asLine ? buffer.takeLine(count) : buffer.takeExactly(count);
  if (task.has(EOF_RECEIVED) && buffer.length === 0) task.deliveredEOF();
  task.sides.afterRead();
  return taken;
}

const NO_OPERATION_OPTIONS = Object.freeze({ timeout: 0, signal: undefined });

function operationOptions(options: unknown): { timeout: number; signal: AbortSignalLike | undefined } {
  if (options === undefined) return NO_OPERATION_OPTIONS;
  const given = optionsArgument<OperationOptions>('options', options);
  return { timeout: timeoutArgument('timeout', given.timeout), signal: signalArgument('signal', given.signal) };
}
