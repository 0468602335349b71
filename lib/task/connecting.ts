/**
 * Connecting a task: service resolution, attempts with retry and backoff, the preamble (proxy
 * handshakes, TLS from the start, an HTTP Upgrade), and opening the lanes. Owns the way to an
 * open connection; what happens on it afterwards is the machine's.
 */
import type * as net from 'node:net';
import { fixedLookup, isMulticastDomain, makeResolver, resolveService, resolverLookup, type ServiceDescriptor, type ServiceTarget } from '../connect/service.js';
import { resolveMulticastService } from '../connect/mdns.js';
import type { PreambleIO } from '../connect/preamble.js';
import { autoSelectsFamily, openTcp } from '../connect/tcp.js';
import { MDNS_WAIT_MS, RETRY_FIRST_MS, RETRY_MAX_MS } from '../constants.js';
import { fromSystemError, StreamTaskError, systemCode, timedOutError } from '../errors.js';
import { DataRead, DelimitedRead, ExactRead, type PendingRead } from '../io/read-ops.js';
import type { SecureConnectionInfo } from '../tls/secure.js';
import { CONNECTED, FINISHING, OPENED, WAITING_ANNOUNCED } from './flags.js';
import { mayHaveListeners } from './lazy-event-target.js';
import { connectionInfo, localAddressOf, metricsTime } from './metrics.js';
import { openChannel, type TaskOpenMessage } from './diagnostics.js';
import { updateFlow } from './bytes-in.js';
import type { TaskMachine } from './task-machine.js';
import { watchRoute } from './progress.js';
import { decideResults, openedInfo } from './results.js';
import { upgrade, verifiedHost } from './tls-switch.js';
import { tlsConnectOptions } from '../tls/secure.js';
import { socketWrite } from './writing.js';
import { callDelegate } from './announce.js';
import { startConnectLimit, stopConnectLimit } from './connect-limit.js';


export function startConnecting(task: TaskMachine): void {
  const config = task.configuration;
  task.fetchStartDate = metricsTime();
  const resourceLimit = config.timeoutIntervalForResource;
  if (resourceLimit > 0) startResourceLimit(task, resourceLimit);
  const service = task.rare().service;
  if (service === null) attempt(task);
  else resolveThenAttempt(task, service);
}

function startResourceLimit(task: TaskMachine, limit: number): void {
  // The error is made when the limit runs out: an Error captures a stack, which costs more
  // than the rest of opening a connection, and almost no limit ever runs out.
  task.setSeldom('resourceTimer', setTimeout(
    () => task.fail(timedOutError(task.context('task'), limit, 'the resource time limit ran out')), limit));
}

/** A service first: its targets, then attempts to them in turn. */
function resolveThenAttempt(task: TaskMachine, service: ServiceDescriptor): void {
  const config = task.configuration;
  const resolver = task.rare().resolver;
  let resolving: Promise<ServiceTarget[]>;
  if (isMulticastDomain(service.domain)) {
    const controller = new AbortController();
    task.setSeldom('resolving', controller);
    const limit = config.timeoutIntervalForRequest;
    resolving = resolveMulticastService(service, task.context('connect'), limit > 0 ? Math.min(MDNS_WAIT_MS, limit) : MDNS_WAIT_MS, controller.signal);
  } else {
    resolving = resolveService(service, resolver ?? makeResolver(null), task.context('connect'));
  }
  resolving.then(
    (targets) => {
      task.setSeldom('resolving', null);
      if (task.has(FINISHING)) return;
      task.setSeldom('targets', targets);
      attempt(task);
    },
    (error: StreamTaskError) => {
      task.setSeldom('resolving', null);
      task.fail(error);
    },
  );
}

/** One attempt to connect; the connect time limit covers it up to `opened` (proxy, TLS, upgrade). */
function attempt(task: TaskMachine): void {
  const config = task.configuration;
  startConnectLimit(task, connectTimedOut);
  let socket: net.Socket;
  try {
    const target = task.target();
    const { route, resolver, tlsAtStart } = task.rare();
    const onread = task.plainReads();
    // TLS from the first byte, straight to the host: tls.connect opens the connection, so that
    // Node gives the TLS socket `onread` (it gives it to no TLS socket over a connected one). Not
    // through a proxy or before an Upgrade (their handshakes come first, in plaintext), not with
    // allowStop (its record feed needs the TCP socket), not where the runtime has no `onread`.
    const direct = tlsAtStart !== null && route === null && tlsAtStart.allowStop !== true && onread !== undefined;
    socket = openTcp({
      host: route?.host ?? target.host,
      port: route?.port ?? target.port,
      noDelay: config.noDelay,
      keepAlive: config.keepAlive,
      autoSelectFamily: config.autoSelectFamily ?? undefined,
      autoSelectFamilyAttemptTimeout: config.autoSelectFamilyAttemptTimeout ?? undefined,
      // A `.local` target came with its addresses; other names go to the configured resolver.
      lookup: target.addresses !== undefined && route === null ? fixedLookup(target.addresses)
        : resolver === null ? undefined : resolverLookup(resolver, autoSelectsFamily(config.autoSelectFamily)),
      localAddress: config.localAddress ?? undefined,
      onread,
      path: task.rare().path,
      tls: direct ? tlsConnectOptions(verifiedHost(task), tlsAtStart) : undefined,
    });
  } catch (error) {
    connectFailed(task, fromSystemError(error, task.context(connectOperation(task)), 'cannotConnectToHost'));
    return;
  }
  task.socket = socket;
  // Its end, errors and close, and until connected its lookup and connect (see wirePlain).
  task.wire(socket);
}

/** The error is made when the limit runs out, not per attempt (see startConnecting()). */
function connectTimedOut(task: TaskMachine): void {
  connectFailed(task, timedOutError(task.context('connect'), task.configuration.timeoutIntervalForRequest, 'connecting timed out'));
}

/**
 * An attempt to connect failed. With `waitsForConnectivity`, a refused or unreachable host (or
 * a timed-out attempt, or a name server that is not reachable) is tried again with capped
 * exponential backoff, until the resource time runs out or the task is cancelled.
 */
export function connectFailed(task: TaskMachine, error: StreamTaskError): void {
  if (task.has(FINISHING)) return;
  const targets = task.rare().targets;
  if (targets !== null && !task.has(CONNECTED) && task.rare().targetIndex + 1 < targets.length &&
      ['cannotConnectToHost', 'cannotFindHost', 'timedOut'].includes(error.code)) {
    // The next SRV target, at once (RFC 2782).
    dropAttempt(task);
    task.setSeldom('targetIndex', task.rare().targetIndex + 1);
    attempt(task);
    return;
  }
  const retriable = task.configuration.waitsForConnectivity && !task.has(CONNECTED) &&
    (error.code === 'cannotConnectToHost' || error.code === 'timedOut' || systemCode(error.cause) === 'EAI_AGAIN');
  if (!retriable) {
    task.fail(error);
    return;
  }
  dropAttempt(task);
  task.setSeldom('targetIndex', 0);
  if (!task.has(WAITING_ANNOUNCED)) {
    task.setFlag(WAITING_ANNOUNCED, true);
    if (mayHaveListeners(task)) task.dispatchEvent(new Event('waitingforconnectivity'));
    callDelegate(task, 'taskIsWaitingForConnectivity');
  }
  const retries = task.rare().retries;
  task.setSeldom('retries', retries + 1);
  const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** retries);
  task.setSeldom('retryTimer', setTimeout(() => {
    task.setSeldom('retryTimer', undefined);
    attempt(task);
  }, delay));
}

/** Abandons a failed attempt's timer and socket (whose events no longer speak for the task). */
function dropAttempt(task: TaskMachine): void {
  stopConnectLimit(task);
  const socket = task.socket;
  task.socket = null;
  socket?.destroy();
}

export function onConnect(task: TaskMachine, socket: net.Socket): void {
  task.setFlag(CONNECTED, true);
  task.connectEndDate = metricsTime();
  // Read now: once Node has destroyed the socket (a reset) it can no longer tell them.
  task.local = localAddressOf(socket);
  task.remoteAddress = socket.remoteAddress ?? '';
  task.remotePort = socket.remotePort ?? 0;
  updateFlow(task);
  if (task.rare().tlsAtStart === null && task.rare().route === null) {
    opening(task, null);
    return;
  }
  void establish(task);
}

/**
 * Proxy handshakes, TLS from the first byte, an HTTP Upgrade: all before the lanes open, all
 * within the connect time limit. Any failure fails the task (and so rejects `opened`).
 */
async function establish(task: TaskMachine): Promise<void> {
  try {
    const io = preambleIO(task);
    for (const step of task.rare().route?.beforeTls ?? []) await step(io);
    const tlsAtStart = task.rare().tlsAtStart;
    const tls = tlsAtStart === null ? undefined : await upgrade(task, tlsAtStart, 0, 'connect');
    for (const step of task.rare().route?.afterTls ?? []) await step(io);
    opening(task, tls ?? null);
  } catch (error) {
    task.fail(error instanceof StreamTaskError ? error : fromSystemError(error, task.context('connect')));
  }
}

export function connectOperation(task: TaskMachine): string {
  const via = task.rare().route?.via;
  return via == null ? 'connect' : `connect via ${via}`;
}

/** Raw reads and writes for preambles, while the lanes are still closed (the reader slot is free). */
function preambleIO(task: TaskMachine): PreambleIO {
  const port = task.sides;
  const direct = <T>(read: PendingRead<T>): Promise<T> => {
    if (task.refusedIfCancelled(read).settled) return read.promise;
    // The lanes are closed, so the reader slot is free: run the read's step directly.
    read.run();
    read.watch();
    return read.promise;
  };
  const target = task.target();
  return {
    host: target.host,
    port: target.port,
    context: (operation) => task.context(operation),
    write: (bytes) => {
      const op = task.operation<void>('write', 0, undefined, task.writeLane);
      if (task.failure !== null) op.reject(task.failure);
      else socketWrite(task, task.socket!, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, op);
      return op.promise;
    },
    readUntil: (delimiter, maxLength) => direct(new DelimitedRead('connect', port, 0, undefined,
      Buffer.from(delimiter, 'latin1'), maxLength, 'reject')) as Promise<Uint8Array>,
    readExactly: (count) => direct(new ExactRead('connect', port, 0, undefined, count)),
    readSome: (maxLength, waitMs) => direct(new DataRead('connect', port, waitMs, undefined, 1, maxLength))
      .then(({ data }) => data, () => task.buffer.take(0, maxLength)),
  };
}

function opening(task: TaskMachine, tls: SecureConnectionInfo | null): void {
  stopConnectLimit(task);
  if (task.has(FINISHING)) return;
  task.sides.open();
  task.writeLane.open();
  watchRoute(task);
  task.setSeldom('openedTls', tls);
  task.setFlag(OPENED, true);
  decideResults(task);
  if (openChannel.hasSubscribers) openChannel.publish({ task: task.api(), connection: connectionInfo(task)! } satisfies TaskOpenMessage);
  if (mayHaveListeners(task)) task.dispatchEvent(new Event('open'));
  if (task.rare().delegate?.didOpen !== undefined) callDelegate(task, 'didOpen', openedInfo(task));
}
