/**
 * The TLS switch: a task's upgrade to TLS in place (STARTTLS, and TLS from the start) and its way
 * back to plaintext. Owns the handshake's checks and the close_notify exchange; reading the
 * bytes that arrive either side of them is the task's.
 */
import type * as tls from 'node:tls';
import { resolveTLSOptions } from '../configuration.js';
import { isMulticastDomain } from '../connect/service.js';
import { invalidStateError, StreamTaskError, streamTaskError, timedOutError, type ErrorContext } from '../errors.js';
import { TlsRecordFeed } from '../tls/record-feed.js';
import { handshake, secure, type SecureConnectionInfo, type TLSOptions } from '../tls/secure.js';
import { secureChannel, type TaskSecureMessage } from './diagnostics.js';
import { StreamTaskSecureEvent } from './events.js';
import { EOF_DELIVERED, EOF_RECEIVED, FINISHING, READ_CLOSED_ANNOUNCED, READ_CLOSING, READING, SECURED, STOPPABLE, STOPPING_TLS } from './flags.js';
import { mayHaveListeners } from './lazy-event-target.js';
import { metricsTime } from './metrics.js';
import { onBytes, onEnd, updateFlow, updateFlowOf } from './bytes-in.js';
import type { TaskMachine } from './task-machine.js';
import { callDelegate } from './announce.js';
import { writeRefusal } from './refusals.js';
import { afterEnqueued } from './after-enqueued.js';

export function startSecureConnection(task: TaskMachine, tls?: TLSOptions): Promise<SecureConnectionInfo> {
  let settings: TLSOptions;
  try {
    settings = resolveTLSOptions('tls', tls, task.configuration.tls);
  } catch (error) {
    return Promise.reject(error);
  }
  const refusal = writeRefusal(task, 'startSecureConnection');
  if (refusal !== null) return task.rejected(refusal);
  if (task.has(READ_CLOSING)) return task.rejected(invalidStateError(task.context('startSecureConnection'), 'the read side was closed by closeRead()'));
  if (task.has(SECURED)) {
    return task.rejected(invalidStateError(task.context('startSecureConnection'), 'the connection is already secure'));
  }
  task.setFlag(SECURED, true);
  task.setFlag(STOPPABLE, settings.allowStop === true);
  const op = task.operation<SecureConnectionInfo>('startSecureConnection', 0, undefined, task.writeLane);
  afterEnqueued(task, op, async () => {
    op.resolve(await upgrade(task, settings, task.configuration.timeoutIntervalForRequest));
  });
  return op.promise;
}

export function stopSecureConnection(task: TaskMachine): Promise<void> {
  const refusal = writeRefusal(task, 'stopSecureConnection');
  if (refusal !== null) return task.rejected(refusal);
  const context = task.context('stopSecureConnection');
  if (!task.has(SECURED)) return task.rejected(invalidStateError(context, 'the connection is not secure'));
  if (!task.has(STOPPABLE)) {
    return task.rejected(invalidStateError(context,
      "the secure connection was made without allowStop: true, and Node's native TLS path cannot hand the connection back to plaintext (docs/tls.md)"));
  }
  task.setFlag(SECURED, false);
  task.setFlag(STOPPABLE, false);
  const op = task.operation<void>('stopSecureConnection', 0, undefined, task.writeLane);
  afterEnqueued(task, op, async () => {
    await downgrade(task, task.configuration.timeoutIntervalForRequest, op.promise);
    op.resolve();
  });
  return op.promise;
}

/** Exchanges close_notify, then makes the TCP socket the task's again; on failure the task fails. */
async function downgrade(task: TaskMachine, timeout: number, stop: Promise<void>): Promise<void> {
  const context = task.context('stopSecureConnection');
  const secureSocket = task.socket as tls.TLSSocket;
  const plain = task.rare().plainSocket!;
  const feed = task.rare().recordFeed!;
  // From here the TLS socket's end and close are the secure stream's, not the connection's.
  task.socket = plain;
  const answered = feed.closeNotify();
  const sent = new Promise<void>((resolve) => {
    if (secureSocket.writableFinished) resolve();
    else secureSocket.once('finish', resolve);
  });
  secureSocket.end();
  // The close_notify lies behind whatever the peer sent before it: read on to reach it.
  task.setFlag(STOPPING_TLS, true);
  task.setFlag(READING, !secureSocket.isPaused());
  updateFlowOf(task, secureSocket);
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = timeout > 0
      ? new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOutError(context, timeout,
          `the peer's close_notify did not come (${task.buffer.length} bytes before it are buffered, unread)`)), timeout);
      })
      : null;
    const exchanged = Promise.all([answered, sent]);
    // A cancel rejects the stop itself (it settles no other way before task returns): the wait
    // and its timer end with it, not when the socket's close reaches the feed.
    await Promise.race(limit === null ? [exchanged, stop] : [exchanged, limit, stop]);
  } catch (error) {
    secureSocket.destroy();
    const failure = error instanceof StreamTaskError ? error
      : streamTaskError('secureConnectionFailed', context, `the secure connection could not be stopped: ${(error as Error).message}`, { cause: error });
    task.fail(failure);
    throw failure;
  } finally {
    clearTimeout(timer);
    task.setFlag(STOPPING_TLS, false);
  }
  // Bytes TLS decrypted before the peer's close_notify and not yet taken come first ('data' takes them)…
  while (secureSocket.read() !== null);
  // …then the plaintext that arrived behind it.
  const behind = feed.detach();
  task.setSeldom('recordFeed', null);
  task.setSeldom('plainSocket', null);
  secureSocket.destroy();
  if (task.has(EOF_RECEIVED) && !feed.plainEnded) {
    // The end of stream reads saw was the secure stream's (the peer's close_notify came first);
    // the connection goes on.
    task.setFlag(EOF_RECEIVED, false);
    task.setFlag(EOF_DELIVERED, false);
    task.setFlag(READ_CLOSED_ANNOUNCED, false);
  }
  for (const chunk of behind) onBytes(task, chunk);
  if (feed.plainEnded) onEnd(task);
  task.setFlag(READING, !plain.isPaused());
  updateFlow(task);
}

/**
 * The host a task's certificate must name: a unicast service's certificate names its domain
 * (RFC 6125, RFC 6186); on the local link there is no delegation, so a `.local` service's names
 * the host that answered.
 */
export function verifiedHost(task: TaskMachine): string {
  const service = task.rare().service;
  return service !== null && isMulticastDomain(service.domain) ? task.target().host : task.givenHost;
}

/**
 * TLS from the first byte on a socket tls.connect opened (connecting.ts): its handshake runs by
 * itself once TCP connects, and its bytes already come to the task through `onread`. The same
 * checks as `upgrade`; a failure fails the task at once and drops any byte that came before it.
 */
async function secureOpenedSocket(task: TaskMachine, socket: tls.TLSSocket, settings: TLSOptions, context: ErrorContext): Promise<SecureConnectionInfo> {
  task.setSeldom('secureTimeline', { startDate: metricsTime(), endDate: null, protocol: null, cipher: null });
  const { info } = await handshake(socket, {
    host: verifiedHost(task), tls: settings, timeout: 0, context,
    failed: (error) => {
      // Not one byte of a server we did not trust reaches the application.
      task.buffer.clear();
      task.fail(error);
    },
  });
  return info;
}

/**
 * Runs the TLS handshake over the current socket; on failure the task fails with the error.
 * `operation` is what the user called, for the messages: `connect` for TLS from the first byte.
 */
export async function upgrade(task: TaskMachine, settings: TLSOptions, timeout: number, operation = 'startSecureConnection'): Promise<SecureConnectionInfo> {
  const context = task.context(operation);
  const plain = task.socket!;
  if ((plain as tls.TLSSocket).encrypted === true) {
    try {
      return secured(task, await secureOpenedSocket(task, plain as tls.TLSSocket, settings, context));
    } catch (error) {
      task.fail(error as StreamTaskError);
      throw error;
    }
  }
  const unread = task.buffer.length;
  if (unread > 0 || task.has(EOF_RECEIVED)) {
    if (task.has(EOF_RECEIVED)) {
      const error = streamTaskError('secureConnectionFailed', context, 'the peer closed its side before the TLS upgrade');
      task.fail(error);
      throw error;
    }
    if (settings.discardUnreadPlaintext === true) {
      task.buffer.clear();
    } else {
      const error = streamTaskError('secureConnectionFailed', context,
        `${unread} bytes of plaintext arrived before the TLS upgrade and were not read; they could be ` +
        'an injected command (STARTTLS injection), so the upgrade is refused. Read the go-ahead reply ' +
        'completely first, or pass discardUnreadPlaintext: true');
      // The bytes that made the upgrade unsafe must never reach the application, by any read.
      task.buffer.clear();
      task.fail(error);
      throw error;
    }
  }
  task.setSeldom('secureTimeline', { startDate: metricsTime(), endDate: null, protocol: null, cipher: null });
  // The TLS engine must read the handshake even if our buffer had paused the socket.
  task.setFlag(READING, true);
  const feed = settings.allowStop === true ? new TlsRecordFeed(plain) : null;
  task.setSeldom('recordFeed', feed);
  // Without the feed, TLS reads the socket: none of its bytes may reach the task's buffer.
  if (feed === null) task.releasePlainBytes(plain);
  plain.resume();
  try {
    const { socket, info } = await secure({ socket: feed ?? plain, host: verifiedHost(task), tls: settings, timeout, context });
    if (task.has(FINISHING)) {
      socket.destroy();
      throw task.failure ?? streamTaskError('cancelled', context, 'cancelled');
    }
    task.setSeldom('plainSocket', plain);
    task.adoptSecureSocket(socket);
    return secured(task, info);
  } catch (error) {
    task.fail(error as StreamTaskError);
    throw error;
  }
}

/** The handshake succeeded and the TLS socket is the task's: the timeline, the flow, and the announcements. */
function secured(task: TaskMachine, info: SecureConnectionInfo): SecureConnectionInfo {
  if (task.has(FINISHING)) throw task.failure ?? streamTaskError('cancelled', task.context('connect'), 'cancelled');
  task.setFlag(SECURED, true);
  const timeline = task.rare().secureTimeline!;
  timeline.endDate = metricsTime();
  timeline.protocol = info.protocol;
  timeline.cipher = info.cipher;
  updateFlow(task);
  if (secureChannel.hasSubscribers) secureChannel.publish({ task: task.api(), secure: info } satisfies TaskSecureMessage);
  if (mayHaveListeners(task)) task.dispatchEvent(new StreamTaskSecureEvent(info));
  callDelegate(task, 'didSecureConnection', info);
  return info;
}
