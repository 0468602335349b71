/**
 * streamtask: promise and async-iterator native TCP stream tasks for Node.js, after Foundation's
 * `URLSessionStreamTask`. Start at {@link Session} and {@link StreamTask}; the guide is docs/guide.md.
 *
 * @module streamtask
 */
export { Session, type StreamTaskTarget, type UpgradeOptions, type UpgradeResult } from './task/session.js';
export type { UpgradeRequestOptions, UpgradeResponse } from './connect/http-upgrade.js';
export type { ProxyConfiguration } from './connect/proxy.js';
export type { ServiceDescriptor } from './connect/service.js';
export { StreamTask, type DelimitedReadOptions } from './task/stream-task.js';
export type { CapturedStreams } from './adapters/web-streams.js';
export type {
  PeerCertificateSummary,
  SecureConnectionInfo,
  ServerTrustChallenge,
  ServerTrustDisposition,
  TLSOptions,
} from './tls/secure.js';
export {
  StreamTaskError,
  URL_ERROR_CODES,
  type ErrorResponse,
  type StreamTaskErrorCode,
  type StreamTaskErrorOptions,
} from './errors.js';
export {
  StreamTaskCompleteEvent,
  StreamTaskProgressEvent,
  StreamTaskSecureEvent,
  StreamTaskStreamsEvent,
  StreamTaskUpgradeEvent,
  type StreamTaskDelegate,
  type StreamTaskEventMap,
} from './task/events.js';
export type { ResolvedConfiguration, SessionConfiguration, StreamTaskOptions } from './configuration.js';
export {
  CHANNELS,
  type TaskCloseMessage,
  type TaskCreateMessage,
  type TaskErrorMessage,
  type TaskOpenMessage,
  type TaskSecureMessage,
} from './task/diagnostics.js';
export type {
  AbortSignalLike,
  ConnectionInfo,
  OperationOptions,
  ReadOptions,
  ReadResult,
  StreamTaskState,
  TaskMetrics,
  WritableData,
  WriteOptions,
} from './types.js';
