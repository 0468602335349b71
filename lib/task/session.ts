/**
 * Session: makes stream tasks and shares their configuration, after Foundation's `URLSession`.
 */
import {
  resolveConfiguration,
  resolveTaskOptions,
  type ResolvedConfiguration,
  type SessionConfiguration,
  type StreamTaskOptions,
} from '../configuration.js';
import type { Preamble, Route } from '../connect/preamble.js';
import { chooseProxy, proxyRoute } from '../connect/proxy.js';
import { isMulticastDomain, makeResolver, serviceArgument, type ServiceDescriptor } from '../connect/service.js';
import type * as dns from 'node:dns';
import { upgradePreamble, upgradeTarget, type UpgradeRequestOptions, type UpgradeResponse } from '../connect/http-upgrade.js';
import { invalidStateError } from '../errors.js';
import { createChannel, type TaskCreateMessage } from './diagnostics.js';
import { StreamTaskUpgradeEvent, type StreamTaskDelegate } from './events.js';
import { newStreamTask, StreamTask } from './stream-task.js';
import { newTaskList } from './task-list.js';
import { whenOpened } from './results.js';
import { describe, hostArgument, pathArgument, portArgument } from '../validate.js';

/**
 * The options-object form of `streamTask()` and `connect()`: a host and port, a DNS-SD service,
 * or the path of a Unix domain socket, with the task's options beside it.
 *
 * @example
 * ```ts
 * const targets: StreamTaskTarget[] = [
 *   { host: '127.0.0.1', port: 6379 },
 *   { service: { type: '_imap._tcp', domain: 'example.com' }, tls: true },
 *   { path: '/run/redis/redis.sock' },
 * ];
 * const task = await session.connect(targets[0]!);
 * ```
 */
export type StreamTaskTarget = StreamTaskOptions &
  (
    | {
        /** A host name or an IPv4/IPv6 address. */
        host: string;
        /** 1 to 65535. */
        port: number;
      }
    | {
        /** Looked up with DNS-SD; its targets are tried in SRV order. */
        service: ServiceDescriptor;
      }
    | {
        /** The Unix domain socket to connect to. */
        path: string;
      }
  );

/**
 * What `session.upgrade()` takes: the request's options and the task's.
 *
 * @example
 * ```ts
 * const options: UpgradeOptions = { protocol: 'websocket', timeoutIntervalForRequest: 5000 };
 * const { task } = await session.upgrade('ws://127.0.0.1:8080/', options);
 * ```
 */
export type UpgradeOptions = UpgradeRequestOptions & StreamTaskOptions;

/**
 * What `session.upgrade()` resolves with.
 *
 * @example
 * ```ts
 * const result: UpgradeResult = await session.upgrade('ws://127.0.0.1:8080/');
 * const first = await result.task.readData(); // the server's first bytes after its 101
 * ```
 */
export interface UpgradeResult {
  /** The server's `101 Switching Protocols` answer. */
  response: UpgradeResponse;
  /** A running task on the upgraded connection; its first bytes are those the server sent after the 101. */
  task: StreamTask;
}

let sharedSession: Session | undefined;

/**
 * Makes stream tasks that share a configuration, and ends them together.
 *
 * @example
 * ```ts
 * await using session = new Session({ timeoutIntervalForRequest: 5000 });
 * const task = await session.connect('127.0.0.1', 7000);
 * await task.write('hello\n');
 * ```
 */
export class Session extends EventTarget {
  /** The settings every task starts from. */
  readonly configuration: Readonly<ResolvedConfiguration>;
  /** Called for every task of this session, at the moments its events fire. */
  readonly delegate: StreamTaskDelegate<StreamTask> | undefined;
  readonly #tasks = newTaskList();
  readonly #isShared: boolean;
  #nextIdentifier = 1;
  #invalidated = false;
  #finished: Promise<void> | null = null;
  readonly #resolvers = new Map<string, dns.promises.Resolver>();

  /**
   * Throws TypeError/RangeError naming the field when `configuration` is not valid. The
   * `delegate`, as in `URLSession(configuration:delegate:delegateQueue:)`, hears every task's events.
   */
  constructor(configuration?: SessionConfiguration, delegate?: StreamTaskDelegate<StreamTask>) {
    super();
    this.configuration = Object.freeze(resolveConfiguration(configuration));
    if (delegate !== undefined && (typeof delegate !== 'object' || delegate === null)) {
      throw new TypeError(`Expected \`delegate\` to be an object, got ${describe(delegate)}`);
    }
    this.delegate = delegate;
    this.#isShared = sharedSession === undefined && constructingShared;
  }

  /**
   * A session with the default configuration, made on first use. As with Foundation's shared
   * session, invalidating it has no effect.
   */
  static get shared(): Session {
    if (sharedSession === undefined) {
      constructingShared = true;
      try {
        sharedSession = new Session();
      } finally {
        constructingShared = false;
      }
    }
    return sharedSession;
  }

  /**
   * The tasks of this session that have not completed.
   *
   * @example
   * ```ts
   * console.log(session.tasks.map((task) => `${task.taskIdentifier} ${task.host} ${task.state}`));
   * ```
   */
  get tasks(): StreamTask[] {
    return this.#tasks.toArray();
  }

  /**
   * Makes a task that will connect to `host` and `port` when resumed. It starts `'suspended'`;
   * operations may be enqueued before `resume()`. Throws (like `new URL()`) when the arguments
   * are not valid or the session was invalidated.
   *
   * @example
   * ```ts
   * const task = session.streamTask('mail.example.com', 25);
   * const greeting = task.readData();  // enqueued now, runs once connected
   * task.resume();
   * ```
   */
  streamTask(host: string, port: number, options?: StreamTaskOptions): StreamTask;
  streamTask(options: StreamTaskTarget): StreamTask;
  streamTask(hostOrOptions: string | StreamTaskTarget, port?: number, options?: StreamTaskOptions): StreamTask {
    let host: unknown;
    let givenPort: unknown;
    let given: unknown;
    if (typeof hostOrOptions === 'object' && hostOrOptions !== null) {
      if (port !== undefined || options !== undefined) {
        throw new TypeError('Expected `streamTask(options)` with host and port inside the options, got extra arguments');
      }
      const targets = (['host', 'service', 'path'] as const).filter((key) => (hostOrOptions as unknown as Record<string, unknown>)[key] !== undefined);
      if (targets.length > 1) {
        throw new TypeError(`Expected \`streamTask(options)\` with one of host and port, a service or a path, got ${targets.join(' and ')}`);
      }
      if ('service' in hostOrOptions && hostOrOptions.service !== undefined) {
        if ('port' in hostOrOptions) throw new TypeError('Expected `streamTask(options)` with a service and no port');
        const service = serviceArgument('options.service', hostOrOptions.service);
        return this.#createTask(service.domain, 0, hostOrOptions, [], service);
      }
      if ('path' in hostOrOptions && hostOrOptions.path !== undefined) {
        if ('port' in hostOrOptions) throw new TypeError('Expected `streamTask(options)` with a path and no port');
        const path = pathArgument('options.path', hostOrOptions.path);
        // A Unix socket is on this machine: TLS over it verifies `localhost` unless tls.servername says otherwise.
        return this.#createTask('localhost', 0, hostOrOptions, [], null, path);
      }
      host = (hostOrOptions as { host?: unknown }).host;
      givenPort = (hostOrOptions as { port?: unknown }).port;
      given = hostOrOptions;
    } else {
      host = hostOrOptions;
      givenPort = port;
      given = options;
    }
    return this.#createTask(host, givenPort, given, []);
  }

  #createTask(host: unknown, port: unknown, given: unknown, afterTls: Preamble[], service: ServiceDescriptor | null = null, path: string | null = null): StreamTask {
    if (this.#invalidated) {
      throw invalidStateError({ operation: 'streamTask' }, 'the session was invalidated; make a new Session');
    }
    const resolvedHost = hostArgument(host);
    const resolvedPort = service === null && path === null ? portArgument(port) : 0;
    const { configuration, signal, taskDescription, tlsAtStart } = resolveTaskOptions(given, this.configuration);
    // A `.local` service is on the local link, found over multicast DNS, and a Unix socket on
    // this machine: never through a proxy.
    const proxy = path !== null || (service !== null && isMulticastDomain(service.domain)) ? null
      : chooseProxy(configuration.proxy, resolvedHost, resolvedPort);
    let route: Route | null = null;
    if (proxy !== null) route = proxyRoute(proxy, afterTls);
    else if (afterTls.length > 0) route = { host: resolvedHost, port: resolvedPort, via: null, beforeTls: [], afterTls };
    const task = newStreamTask({
      taskIdentifier: this.#nextIdentifier++,
      host: resolvedHost,
      port: resolvedPort,
      configuration,
      signal,
      taskDescription,
      list: this.#tasks,
      delegate: this.delegate,
      tlsAtStart,
      route,
      service,
      path,
      resolver: this.#resolverFor(configuration.dnsServers),
    });
    if (createChannel.hasSubscribers) createChannel.publish({ task } satisfies TaskCreateMessage);
    return task;
  }

  /** One resolver per set of DNS servers (null: the system's). */
  #resolverFor(servers: string[] | null): dns.promises.Resolver | null {
    if (servers === null) return null;
    const key = servers.join(',');
    let resolver = this.#resolvers.get(key);
    if (resolver === undefined) {
      resolver = makeResolver(servers);
      this.#resolvers.set(key, resolver);
    }
    return resolver;
  }

  /**
   * Makes a task, resumes it and resolves with it once the connection is open. Rejects (never
   * throws) on bad arguments or when the connection fails.
   *
   * @example
   * ```ts
   * const task = await Session.shared.connect('127.0.0.1', 6379, { timeoutIntervalForRequest: 2000 });
   * const local = await Session.shared.connect({ path: '/run/redis/redis-server.sock' });
   * ```
   */
  connect(host: string, port: number, options?: StreamTaskOptions): Promise<StreamTask>;
  connect(options: StreamTaskTarget): Promise<StreamTask>;
  connect(hostOrOptions: string | StreamTaskTarget, port?: number, options?: StreamTaskOptions): Promise<StreamTask> {
    let task: StreamTask;
    try {
      task = typeof hostOrOptions === 'object' && hostOrOptions !== null && port === undefined && options === undefined
        ? this.streamTask(hostOrOptions)
        : this.streamTask(hostOrOptions as string, port as number, options);
    } catch (error) {
      return Promise.reject(error);
    }
    task.resume();
    // Not an async function: one promise per connection, settled by the task (see whenOpened).
    return whenOpened(task);
  }

  /**
   * Opens a connection to an http:, https:, ws: or wss: URL, sends an HTTP/1.1 request with
   * `Connection: Upgrade`, and on `101 Switching Protocols` resolves with the response and a
   * running task on the same connection (Apple's data task that becomes a stream task). For
   * `protocol: 'websocket'` (the default for ws: and wss:) it sends a fresh `Sec-WebSocket-Key`
   * and verifies `Sec-WebSocket-Accept`. Any other answer rejects with `badServerResponse`, whose
   * `response` holds the status, headers and the start of the body. The options' `signal`, as for
   * `connect()`, is the task's: it cancels the upgrade and, later, the task.
   *
   * @example
   * ```ts
   * const { response, task } = await session.upgrade('http://127.0.0.1:8080/chat', { protocol: 'chat/1' });
   * for await (const line of task.lines()) console.log(line);
   * ```
   */
  async upgrade(url: string | URL, options?: UpgradeOptions): Promise<UpgradeResult> {
    const target = upgradeTarget(url);
    const scheme = (url instanceof URL ? url : new URL(String(url))).protocol;
    const plan = upgradePreamble(target, scheme, options);
    const given: StreamTaskOptions = { ...options };
    for (const field of ['protocol', 'headers', 'method', 'body'] as const) delete (given as Record<string, unknown>)[field];
    if (target.secure && given.tls === undefined) given.tls = true;
    const task = this.#createTask(target.host, target.port, given, [plan.preamble]);
    task.resume();
    await whenOpened(task);
    const response = plan.response();
    this.dispatchEvent(new StreamTaskUpgradeEvent(task, response));
    const method = this.delegate?.didBecomeStreamTask;
    if (typeof method === 'function') {
      try {
        method.call(this.delegate, task, response);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
    return { response, task };
  }

  /**
   * Refuses new tasks and resolves once every task has completed. The tasks go on as they are.
   *
   * @example
   * ```ts
   * process.once('SIGTERM', () => void session.finishTasksAndInvalidate().then(() => process.exit(0)));
   * ```
   */
  finishTasksAndInvalidate(): Promise<void> {
    if (this.#isShared) return Promise.resolve();
    this.#invalidated = true;
    this.#finished ??= Promise.allSettled(this.tasks.map((task) => task.closed)).then(() => {});
    return this.#finished;
  }

  /**
   * Refuses new tasks and cancels every task now.
   *
   * @example
   * ```ts
   * setTimeout(() => session.invalidateAndCancel(), 30_000).unref(); // a hard deadline for everything
   * ```
   */
  invalidateAndCancel(): void {
    if (this.#isShared) return;
    this.#invalidated = true;
    for (const task of this.tasks) task.cancel();
  }

  /**
   * `await using session = new Session()`: cancels every task and waits for their sockets to close.
   *
   * @example
   * ```ts
   * {
   *   await using session = new Session();
   *   const task = await session.connect('127.0.0.1', 6379);
   *   await task.write('PING\r\n');
   * } // every task of the session is cancelled and closed here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#isShared) return;
    const closing = this.tasks.map((task) => task.closed);
    this.invalidateAndCancel();
    await Promise.allSettled(closing);
  }
}

let constructingShared = false;
