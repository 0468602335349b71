/**
 * SessionConfiguration: what a session's tasks default to. Typed and validated once, here.
 */
import { DEFAULT_READ_BUFFER_SIZE, DEFAULT_REQUEST_TIMEOUT_MS } from './constants.js';
import type { AbortSignalLike } from './types.js';
import {
  booleanArgument,
  describe,
  integerArgument,
  MAX_BYTES,
  optionsArgument,
  signalArgument,
  stringArgument,
  timeoutArgument,
} from './validate.js';

/**
 * Settings shared by every task of a session. All optional; times are milliseconds, `0` means none.
 *
 * @example
 * ```ts
 * const session = new Session({ timeoutIntervalForRequest: 5000, readBufferSize: 256 * 1024 });
 * ```
 */
export interface SessionConfiguration {
  /** Time limit for opening the connection. Default 60000. */
  timeoutIntervalForRequest?: number;
  /** Time limit for the task's whole life, from `resume()`; then it fails with `timedOut`. Default 0 (none). */
  timeoutIntervalForResource?: number;
  /** Most bytes buffered ahead of the reader before the socket is paused. Default 1 MiB. */
  readBufferSize?: number;
  /** Disable Nagle's algorithm (TCP_NODELAY). Default true. */
  noDelay?: boolean;
  /** Enable TCP keep-alive probes. Default false. */
  keepAlive?: boolean;
  /** Not available yet in this release: setting it throws. */
  waitsForConnectivity?: boolean;
  /** Not available yet in this release: setting it throws. */
  tls?: unknown;
  /** Not available yet in this release: setting it throws. */
  proxy?: unknown;
}

/** Per-task options: the task's own signal and description, and overrides of the configuration. */
export interface StreamTaskOptions extends SessionConfiguration {
  /** Aborting it cancels the whole task, as `cancel(signal.reason)` does. */
  signal?: AbortSignalLike;
  /** A label of your own, shown in errors' context and kept on `task.taskDescription`. */
  taskDescription?: string;
}

/** A configuration with every default filled in. */
export interface ResolvedConfiguration {
  timeoutIntervalForRequest: number;
  timeoutIntervalForResource: number;
  readBufferSize: number;
  noDelay: boolean;
  keepAlive: boolean;
}

const NOT_YET = ['waitsForConnectivity', 'tls', 'proxy'] as const;

/** Validates `input` and fills gaps from `base`. Throws TypeError/RangeError naming the field. */
export function resolveConfiguration(
  input: unknown,
  base: ResolvedConfiguration = DEFAULT_CONFIGURATION,
  argumentName = 'configuration',
): ResolvedConfiguration {
  const given = optionsArgument<SessionConfiguration>(argumentName, input);
  for (const field of NOT_YET) {
    const value = given[field];
    if (value !== undefined && value !== false) {
      throw new TypeError(
        `\`${argumentName}.${field}\` is not supported by this release of streamtask yet, got ${describe(value)}`,
      );
    }
  }
  return {
    timeoutIntervalForRequest: timeoutArgument(
      `${argumentName}.timeoutIntervalForRequest`, given.timeoutIntervalForRequest, base.timeoutIntervalForRequest),
    timeoutIntervalForResource: timeoutArgument(
      `${argumentName}.timeoutIntervalForResource`, given.timeoutIntervalForResource, base.timeoutIntervalForResource),
    readBufferSize: integerArgument(
      `${argumentName}.readBufferSize`, given.readBufferSize, base.readBufferSize, 1, MAX_BYTES),
    noDelay: booleanArgument(`${argumentName}.noDelay`, given.noDelay, base.noDelay),
    keepAlive: booleanArgument(`${argumentName}.keepAlive`, given.keepAlive, base.keepAlive),
  };
}

/** Validates a task's own options (signal, description) beyond the configuration overrides. */
export function resolveTaskOptions(
  input: unknown,
  base: ResolvedConfiguration,
): { configuration: ResolvedConfiguration; signal: AbortSignalLike | undefined; taskDescription: string | undefined } {
  const given = optionsArgument<StreamTaskOptions>('options', input);
  return {
    configuration: resolveConfiguration(given, base, 'options'),
    signal: signalArgument('options.signal', given.signal),
    taskDescription: stringArgument('options.taskDescription', given.taskDescription),
  };
}

export const DEFAULT_CONFIGURATION: ResolvedConfiguration = Object.freeze({
  timeoutIntervalForRequest: DEFAULT_REQUEST_TIMEOUT_MS,
  timeoutIntervalForResource: 0,
  readBufferSize: DEFAULT_READ_BUFFER_SIZE,
  noDelay: true,
  keepAlive: false,
});
