/** Exit codes of the command-line tool: one per class of failure, so scripts can tell them apart. */
import type { StreamTaskErrorCode } from '../index.js';

export const EXIT = {
  ok: 0,
  other: 1,
  usage: 2,
  cannotFindHost: 3,
  cannotConnect: 4,
  timedOut: 5,
  tls: 6,
  connectionLost: 7,
  badServerResponse: 8,
  startTlsRefused: 9,
  interrupted: 130,
} as const;

const BY_CODE: Partial<Record<StreamTaskErrorCode, number>> = {
  cannotFindHost: EXIT.cannotFindHost,
  cannotConnectToHost: EXIT.cannotConnect,
  timedOut: EXIT.timedOut,
  secureConnectionFailed: EXIT.tls,
  serverCertificateUntrusted: EXIT.tls,
  networkConnectionLost: EXIT.connectionLost,
  badServerResponse: EXIT.badServerResponse,
  incompleteRead: EXIT.badServerResponse,
  limitOverrun: EXIT.badServerResponse,
  cancelled: EXIT.interrupted,
};

export function exitCodeOf(code: StreamTaskErrorCode): number {
  return BY_CODE[code] ?? EXIT.other;
}

export const EXIT_CODES_HELP = `Exit codes:
  0  the connection ended cleanly (also     5  timed out
     a reset after stdin ended, all of it
     was sent and the server answered)
  1  any other failure                     6  TLS handshake or certificate refused
  2  bad arguments                         7  connection lost (reset, broken) while
                                              input was still to send, or before
                                              the server answered
  3  host name not found                   8  unexpected answer (proxy, upgrade, protocol)
  4  connection refused or unreachable     9  the server refused STARTTLS
  130 interrupted (Ctrl-C)`;
