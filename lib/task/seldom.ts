/**
 * The task's seldom-used state, one object made on first need (most tasks never leave the
 * defaults). Only the fields: which code reads and writes each is task-machine.ts's.
 */
import type * as dns from 'node:dns';
import type * as net from 'node:net';
import type { Route } from '../connect/preamble.js';
import type { ServiceDescriptor, ServiceTarget } from '../connect/service.js';
import type { Deferred } from '../io/deferred.js';
import type { TlsRecordFeed } from '../tls/record-feed.js';
import type { SecureConnectionInfo, TLSOptions } from '../tls/secure.js';
import type { StreamTaskDelegate } from './events.js';
import type { SecureTimeline } from './metrics.js';
import type { AbortSignalLike } from '../types.js';
import type { StreamTask } from './stream-task.js';

/**
 * What most tasks never use (a proxy route, a service, TLS from the start, a delegate, a signal,
 * retries, progress, the TLS record feed…), kept apart so that a plain task carries one field
 * for all of it; StreamTask reads it with `rare()` and writes it with `setSeldom()`.
 */
export class Seldom {
  /** The TCP socket under a TLS one (destroyed with it). */
  plainSocket: net.Socket | null = null;
  tlsAtStart: TLSOptions | null = null;
  route: Route | null = null;
  service: ServiceDescriptor | null = null;
  resolver: dns.promises.Resolver | null = null;
  /** A Unix domain socket to connect to instead of host and port (host is then 'localhost'). */
  path: string | null = null;
  /** A service's SRV targets, in the order to try them, and the one being tried. */
  targets: ServiceTarget[] | null = null;
  targetIndex = 0;
  /** While a `.local` service is being resolved over multicast DNS: aborting it closes its socket. */
  resolving: AbortController | null = null;
  /** While TLS runs over a record feed (`allowStop`): the TCP socket's bytes go to it. */
  recordFeed: TlsRecordFeed | null = null;
  closeReadPromise: Promise<void> | null = null;
  closeWritePromise: Promise<void> | null = null;
  retryTimer: NodeJS.Timeout | undefined = undefined;
  retries = 0;
  resourceTimer: NodeJS.Timeout | undefined = undefined;
  signal: AbortSignalLike | undefined = undefined;
  onSignalAbort: (() => void) | undefined = undefined;
  delegate: StreamTaskDelegate<StreamTask> | undefined = undefined;
  unwatchRoute: (() => void) | undefined = undefined;
  progressTimer: NodeJS.Timeout | undefined = undefined;
  progressSent = 0;
  progressReceived = 0;
  /** The secure connection's part of the timeline (metrics.ts), for a task that goes secure. */
  secureTimeline: SecureTimeline | null = null;
  taskDescription: string | undefined = undefined;
  /** `closed` once asked (see `openedSlot`): most tasks never ask. */
  closed: Deferred<void> | Promise<void> | null = null;
  /** For a task with TLS from the first byte: what its handshake negotiated (`opened` reports it). */
  openedTls: SecureConnectionInfo | null = null;
}

/** What a task without a Seldom of its own reads (never written). */
export const SELDOM_DEFAULTS = new Seldom();
