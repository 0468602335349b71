/**
 * SessionConfiguration: what a session's tasks default to. Typed and validated once, here.
 */
import { proxyArgument, type ProxyConfiguration } from './connect/proxy.js';
import { dnsServersArgument } from './connect/service.js';
import type { TLSOptions } from './tls/secure.js';
import { isIP } from 'node:net';
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
  /**
   * Happy Eyeballs (RFC 8305): when a name has addresses of both families, try them alternately,
   * each after `autoSelectFamilyAttemptTimeout`, and keep the first that connects. Default:
   * Node's (`net.getDefaultAutoSelectFamily()`, true since Node 20). False: only the first address.
   */
  autoSelectFamily?: boolean;
  /**
   * With `autoSelectFamily`: milliseconds to wait for one address before also trying the next.
   * At least 10. Default: Node's (`net.getDefaultAutoSelectFamilyAttemptTimeout()`, 250).
   */
  autoSelectFamilyAttemptTimeout?: number;
  /**
   * When the host refuses or cannot be reached, wait and retry (capped exponential backoff,
   * `waitingforconnectivity` fires once) instead of failing, until the resource time runs out.
   * Default false.
   */
  waitsForConnectivity?: boolean;
  /**
   * TLS settings: on a session, the defaults for every task's TLS; on a task, `true` or settings
   * turn TLS on from the first byte. Secure by default (verification on, TLS 1.2 at least).
   */
  tls?: true | TLSOptions;
  /**
   * A proxy for every task: `{ http: 'http://user:pass@host:port' }` tunnels with CONNECT,
   * `{ socks: 'socks5://user:pass@host:port' }` goes through SOCKS5 (names resolved by the proxy),
   * `'env'` reads HTTPS_PROXY, ALL_PROXY and NO_PROXY as curl does. `null` on a task: no proxy.
   */
  proxy?: ProxyConfiguration | null;
  /**
   * DNS servers ("address" or "address:port") that resolve host names, service (SRV) records and
   * their targets, instead of the system's resolver.
   */
  dnsServers?: string[];
  /** The local address to connect from (an address of this host). Default: the system's choice. */
  localAddress?: string;
}

/**
 * Per-task options: the task's own signal and description, and overrides of the configuration.
 *
 * @example
 * ```ts
 * const options: StreamTaskOptions = { signal: AbortSignal.timeout(30_000), taskDescription: 'imap', tls: true };
 * const task = await session.connect('127.0.0.1', 993, options);
 * ```
 */
export interface StreamTaskOptions extends SessionConfiguration {
  /** Aborting it cancels the whole task, as `cancel(signal.reason)` does. */
  signal?: AbortSignalLike;
  /** A label of your own, kept on `task.taskDescription` (which you may also set later). */
  taskDescription?: string;
}

/**
 * A configuration with every default filled in: what `session.configuration` shows. Each field is
 * the {@link SessionConfiguration} field of the same name.
 *
 * @example
 * ```ts
 * const settings: Readonly<ResolvedConfiguration> = new Session({ noDelay: false }).configuration;
 * console.log(settings.noDelay, settings.readBufferSize, settings.tls.minVersion);
 * ```
 */
export interface ResolvedConfiguration {
  /** {@inheritDoc SessionConfiguration.timeoutIntervalForRequest} */
  timeoutIntervalForRequest: number;
  /** {@inheritDoc SessionConfiguration.timeoutIntervalForResource} */
  timeoutIntervalForResource: number;
  /** {@inheritDoc SessionConfiguration.readBufferSize} */
  readBufferSize: number;
  /** {@inheritDoc SessionConfiguration.noDelay} */
  noDelay: boolean;
  /** {@inheritDoc SessionConfiguration.keepAlive} */
  keepAlive: boolean;
  /** null: Node's default at the time of connecting (net.setDefaultAutoSelectFamily may change it). */
  autoSelectFamily: boolean | null;
  /** {@inheritDoc SessionConfiguration.autoSelectFamilyAttemptTimeout} */
  autoSelectFamilyAttemptTimeout: number | null;
  /** TLS defaults for this session's tasks. */
  tls: TLSOptions;
  /** {@inheritDoc SessionConfiguration.proxy} */
  proxy: ProxyConfiguration | null;
  /** {@inheritDoc SessionConfiguration.waitsForConnectivity} */
  waitsForConnectivity: boolean;
  /** {@inheritDoc SessionConfiguration.dnsServers} */
  dnsServers: string[] | null;
  /** {@inheritDoc SessionConfiguration.localAddress} */
  localAddress: string | null;
}

const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const PEM_FIELDS = ['ca', 'cert', 'key', 'pfx'] as const;

/** Validates TLS settings and lays them over `base`. Throws naming the field. */
export function resolveTLSOptions(name: string, value: unknown, base: TLSOptions = {}): TLSOptions {
  if (value === undefined || value === true) return base;
  const given = optionsArgument<TLSOptions>(name, value);
  for (const field of PEM_FIELDS) {
    const item = given[field];
    const items = Array.isArray(item) ? item : [item];
    if (item !== undefined && !items.every((entry) => typeof entry === 'string' || entry instanceof Uint8Array)) {
      throw new TypeError(`Expected \`${name}.${field}\` to be PEM text, a Buffer, or an array of them, got ${describe(item)}`);
    }
  }
  stringArgument(`${name}.servername`, given.servername);
  stringArgument(`${name}.passphrase`, given.passphrase);
  stringArgument(`${name}.ciphers`, given.ciphers);
  booleanArgument(`${name}.rejectUnauthorized`, given.rejectUnauthorized, true);
  booleanArgument(`${name}.discardUnreadPlaintext`, given.discardUnreadPlaintext, false);
  booleanArgument(`${name}.allowStop`, given.allowStop, false);
  for (const field of ['minVersion', 'maxVersion'] as const) {
    const version = given[field];
    if (version !== undefined && !TLS_VERSIONS.includes(version)) {
      throw new RangeError(`Expected \`${name}.${field}\` to be one of ${TLS_VERSIONS.join(', ')}, got ${describe(version)}`);
    }
  }
  for (const field of ['checkServerIdentity', 'serverTrust'] as const) {
    if (given[field] !== undefined && typeof given[field] !== 'function') {
      throw new TypeError(`Expected \`${name}.${field}\` to be a function, got ${describe(given[field])}`);
    }
  }
  if (given.ALPNProtocols !== undefined &&
      (!Array.isArray(given.ALPNProtocols) || !given.ALPNProtocols.every((p) => typeof p === 'string' && p.length > 0 && p.length < 256))) {
    throw new TypeError(`Expected \`${name}.ALPNProtocols\` to be an array of protocol names (1 to 255 characters), got ${describe(given.ALPNProtocols)}`);
  }
  if (given.pinnedPublicKeys !== undefined) {
    const pins = given.pinnedPublicKeys;
    const valid = Array.isArray(pins) && pins.length > 0 && pins.every((pin) =>
      typeof pin === 'string' && Buffer.from(pin.replace(/^sha256\//, ''), 'base64').length === 32);
    if (!valid) {
      throw new TypeError(`Expected \`${name}.pinnedPublicKeys\` to be a non-empty array of base64 SHA-256 digests ("sha256/…"), got ${describe(pins)}`);
    }
  }
  return { ...base, ...given };
}

/** Validates `input` and fills gaps from `base`. Throws TypeError/RangeError naming the field. */
export function resolveConfiguration(
  input: unknown,
  base: ResolvedConfiguration = DEFAULT_CONFIGURATION,
  argumentName = 'configuration',
): ResolvedConfiguration {
  const given = optionsArgument<SessionConfiguration>(argumentName, input);
  return {
    timeoutIntervalForRequest: timeoutArgument(
      `${argumentName}.timeoutIntervalForRequest`, given.timeoutIntervalForRequest, base.timeoutIntervalForRequest),
    timeoutIntervalForResource: timeoutArgument(
      `${argumentName}.timeoutIntervalForResource`, given.timeoutIntervalForResource, base.timeoutIntervalForResource),
    readBufferSize: integerArgument(
      `${argumentName}.readBufferSize`, given.readBufferSize, base.readBufferSize, 1, MAX_BYTES),
    noDelay: booleanArgument(`${argumentName}.noDelay`, given.noDelay, base.noDelay),
    keepAlive: booleanArgument(`${argumentName}.keepAlive`, given.keepAlive, base.keepAlive),
    autoSelectFamily: given.autoSelectFamily === undefined ? base.autoSelectFamily
      : booleanArgument(`${argumentName}.autoSelectFamily`, given.autoSelectFamily, false),
    autoSelectFamilyAttemptTimeout: given.autoSelectFamilyAttemptTimeout === undefined ? base.autoSelectFamilyAttemptTimeout
      : integerArgument(`${argumentName}.autoSelectFamilyAttemptTimeout`, given.autoSelectFamilyAttemptTimeout, 250, 10, 2_147_483_647),
    // A task's `tls` turns TLS on (see resolveTaskOptions); its settings still lay over the session's.
    tls: resolveTLSOptions(`${argumentName}.tls`, given.tls, base.tls),
    proxy: given.proxy === undefined ? base.proxy : proxyArgument(`${argumentName}.proxy`, given.proxy),
    waitsForConnectivity: booleanArgument(`${argumentName}.waitsForConnectivity`, given.waitsForConnectivity, base.waitsForConnectivity),
    dnsServers: given.dnsServers === undefined ? base.dnsServers : dnsServersArgument(`${argumentName}.dnsServers`, given.dnsServers),
    localAddress: given.localAddress === undefined ? base.localAddress : ipArgument(`${argumentName}.localAddress`, given.localAddress),
  };
}

/** Validates a task's own options (signal, description) beyond the configuration overrides. */
export function resolveTaskOptions(
  input: unknown,
  base: ResolvedConfiguration,
): {
  configuration: ResolvedConfiguration;
  signal: AbortSignalLike | undefined;
  taskDescription: string | undefined;
  tlsAtStart: TLSOptions | null;
} {
  // Most tasks are made without options: nothing to validate or resolve.
  if (input === undefined) return { configuration: base, tlsAtStart: null, signal: undefined, taskDescription: undefined };
  const given = optionsArgument<StreamTaskOptions>('options', input);
  const resolved = resolveConfiguration(given, base, 'options');
  // Tasks that override nothing share the session's object (an idle task is smaller for it).
  let overrides = false;
  for (const key of CONFIGURATION_KEYS) overrides ||= resolved[key] !== base[key];
  const configuration = overrides ? resolved : base;
  return {
    configuration,
    tlsAtStart: given.tls === undefined || (given.tls as unknown) === false ? null : configuration.tls,
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
  autoSelectFamily: null,
  autoSelectFamilyAttemptTimeout: null,
  tls: Object.freeze({}),
  proxy: null,
  waitsForConnectivity: false,
  dnsServers: null,
  localAddress: null,
});

const CONFIGURATION_KEYS = Object.keys(DEFAULT_CONFIGURATION) as readonly (keyof ResolvedConfiguration)[];

function ipArgument(name: string, value: unknown): string {
  if (typeof value !== 'string' || isIP(value) === 0) throw new TypeError(`Expected \`${name}\` to be an IP address, got ${describe(value)}`);
  return value;
}
