/**
 * TLS over a connection that is already open: from the first byte (right after TCP connects) or
 * in place (STARTTLS). One function for both, so both get the same secure defaults:
 * verification on, host name checked against the host we meant (never a proxy's), SNI for names
 * (not for address literals), TLS 1.2 at least, no session cache shared across trust settings.
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { streamTaskError, systemCode, type ErrorContext, type StreamTaskError } from '../errors.js';
import { TlsRecordFeed } from './record-feed.js';

/**
 * What `serverTrust` decides, after Apple's `URLSession.AuthChallengeDisposition`: `'accept'` trusts
 * the server even if verification failed, `'reject'` refuses it even if it passed, `'default'` keeps
 * the verification's verdict.
 *
 * @example
 * ```ts
 * const decide = (challenge: ServerTrustChallenge): ServerTrustDisposition =>
 *   challenge.certificate.fingerprint256 === 'AB:CD:...' ? 'accept' : 'default';
 * ```
 */
export type ServerTrustDisposition = 'accept' | 'reject' | 'default';

/**
 * What `serverTrust` is shown of the server.
 *
 * @example
 * ```ts
 * const tls: TLSOptions = {
 *   serverTrust: (challenge: ServerTrustChallenge) => {
 *     console.log(challenge.servername, challenge.authorized, challenge.authorizationError);
 *     return 'default';
 *   },
 * };
 * ```
 */
export interface ServerTrustChallenge {
  /** The host the task connects to. */
  host: string;
  /** The name verified and sent as SNI. */
  servername: string;
  /** Whether the default verification (CA chain and host name) passed. */
  authorized: boolean;
  /** Why it failed, as OpenSSL or Node names it (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`…). */
  authorizationError: string | null;
  /** The server's certificate with its chain (`issuerCertificate`). */
  certificate: tls.DetailedPeerCertificate;
}

/**
 * TLS settings. As a session's `tls` they are defaults; as a task's `tls` (or `true`) they turn TLS
 * on from the first byte; `startSecureConnection(tls)` takes them too.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * const myCA = readFileSync('ca.pem', 'utf8');
 * const task = await session.connect('mail.example.com', 465, {
 *   tls: { ca: myCA, pinnedPublicKeys: ['sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='] },
 * });
 * ```
 */
export interface TLSOptions {
  /** The name sent as SNI and verified. Default: the host (no SNI when the host is an IP address). */
  servername?: string;
  /** Trusted CA certificates (PEM), replacing the default roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate chain (PEM). */
  cert?: string | Buffer | Array<string | Buffer>;
  /** Client private key (PEM). */
  key?: string | Buffer | Array<string | Buffer>;
  /** Passphrase of an encrypted `key` or `pfx`. */
  passphrase?: string;
  /** PKCS#12 client credentials. */
  pfx?: string | Buffer | Array<string | Buffer>;
  /** Verify the server's certificate and host name. Only a literal `false` turns it off. Default true. */
  rejectUnauthorized?: boolean;
  /** Lowest protocol accepted. Default 'TLSv1.2'. */
  minVersion?: tls.SecureVersion;
  /** Highest protocol offered. Default: Node's (TLS 1.3). */
  maxVersion?: tls.SecureVersion;
  /** Application protocols to offer (ALPN), most preferred first. */
  ALPNProtocols?: string[];
  /** OpenSSL cipher list for TLS 1.2 and below. Default: Node's. */
  ciphers?: string;
  /** Replaces the host-name check; return an Error to refuse. Called with the name being verified. */
  checkServerIdentity?: (hostname: string, certificate: tls.PeerCertificate) => Error | undefined;
  /**
   * SHA-256 pins of SubjectPublicKeyInfo, base64, optionally prefixed `sha256/` (HPKP's pin-sha256).
   * The connection is refused unless a certificate of the presented chain matches one. Pins add to
   * verification; they do not replace it.
   */
  pinnedPublicKeys?: string[];
  /** Decides trust after the handshake, like Apple's server-trust authentication challenge. */
  serverTrust?: (challenge: ServerTrustChallenge) => ServerTrustDisposition | Promise<ServerTrustDisposition>;
  /**
   * STARTTLS only: drop plaintext that arrived before the upgrade and was not read, instead of
   * refusing the upgrade. Default false (refuse: see docs/tls.md, "STARTTLS injection").
   */
  discardUnreadPlaintext?: boolean;
  /**
   * Make the secure connection stoppable: `stopSecureConnection()` can then hand the same TCP
   * connection back to plaintext (FTP's CCC). TLS then runs over a feed that gives it one record at
   * a time, which is slower than Node's native path; see docs/tls.md. Default false.
   */
  allowStop?: boolean;
}

/**
 * What a secure connection negotiated.
 *
 * @example
 * ```ts
 * const info: SecureConnectionInfo = await task.startSecureConnection();
 * console.log(info.protocol, info.cipher, info.peerCertificate?.subject);
 * ```
 */
export interface SecureConnectionInfo {
  /** 'TLSv1.3', 'TLSv1.2'. */
  protocol: string;
  /** The cipher suite's standard name. */
  cipher: string;
  /** The ALPN protocol chosen, or null. */
  alpnProtocol: string | null;
  /** The name verified and sent as SNI (empty for an address literal without servername). */
  servername: string;
  /** Whether the default verification passed (false when accepted by `serverTrust` or `rejectUnauthorized: false`). */
  authorized: boolean;
  /** The server's certificate, summed up; null when it sent none. */
  peerCertificate: PeerCertificateSummary | null;
}

/**
 * The server's certificate as a secure connection reports it: what a user logs or pins.
 *
 * @example
 * ```ts
 * const { peerCertificate } = await task.startSecureConnection();
 * if (peerCertificate && peerCertificate.validTo.getTime() - Date.now() < 7 * 86_400_000) {
 *   console.warn(`${peerCertificate.subject} expires soon; pin ${peerCertificate.publicKeyPin}`);
 * }
 * ```
 */
export interface PeerCertificateSummary {
  /** The subject, as `CN=example.com, O=…`. */
  subject: string;
  /** The issuer, in the same form. */
  issuer: string;
  /** The subjectAltName extension as Node gives it (`DNS:example.com, IP Address:127.0.0.1`), or null. */
  subjectAltName: string | null;
  /** Start of validity. */
  validFrom: Date;
  /** End of validity. */
  validTo: Date;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  /** SHA-256 of the SubjectPublicKeyInfo, base64: the value to pin. */
  publicKeyPin: string;
}

export interface SecureOptions {
  /** The TCP socket, or (for `allowStop`) the record feed over it. */
  socket: net.Socket | TlsRecordFeed;
  host: string;
  tls: TLSOptions;
  /** Handshake time limit in ms; 0 for none. */
  timeout: number;
  context: ErrorContext;
}

/** The name sent as SNI for `host`: none for an address literal (RFC 6066 §3), unless `servername` says. */
function sniFor(host: string, settings: TLSOptions): string {
  return settings.servername ?? (net.isIP(host) === 0 ? host : '');
}

/**
 * tls.connect's options for our settings and defaults, for a TLS socket over a connected one
 * (`secure`) or one tls.connect opens itself (TLS from the first byte, see connecting.ts).
 */
export function tlsConnectOptions(host: string, settings: TLSOptions): tls.ConnectionOptions {
  const servername = sniFor(host, settings);
  const nameToVerify = settings.servername ?? host;
  const userCheck = settings.checkServerIdentity;
  return {
    // As for TCP: the peer's close_notify and FIN end only its side; we close ours with closeWrite().
    // (tls.connect passes it to the TLSSocket; @types/node 20 does not list it.)
    ...({ allowHalfOpen: true } as tls.ConnectionOptions),
    // No SNI for address literals (RFC 6066 §3); the name is still verified below.
    ...(servername === '' ? {} : { servername }),
    ca: settings.ca,
    cert: settings.cert,
    key: settings.key,
    passphrase: settings.passphrase,
    pfx: settings.pfx,
    minVersion: settings.minVersion ?? 'TLSv1.2',
    maxVersion: settings.maxVersion,
    ALPNProtocols: settings.ALPNProtocols,
    ciphers: settings.ciphers,
    // We decide trust ourselves once the handshake is done, with the same rule as Node's
    // (Node too checks only then): this lets serverTrust and pins see the chain. No application
    // byte is sent before that, because the task's lanes are held until this resolves.
    rejectUnauthorized: false,
    // Verify the name we meant, not `socket._host` (through a proxy that is the proxy's).
    checkServerIdentity: (_hostname, certificate) =>
      userCheck !== undefined ? userCheck(nameToVerify, certificate) : tls.checkServerIdentity(nameToVerify, certificate),
  };
}

/** Runs the handshake over `socket`; resolves with the TLS socket once trust is decided. */
export function secure(options: SecureOptions): Promise<{ socket: tls.TLSSocket; info: SecureConnectionInfo }> {
  const socket = tls.connect({ socket: options.socket, ...tlsConnectOptions(options.host, options.tls) });
  if (options.socket instanceof TlsRecordFeed) options.socket.attach(socket);
  return handshake(socket, options);
}

/** What `handshake` needs besides the socket; `failed` hears a failure at once (before the promise rejects). */
export interface HandshakeOptions extends Omit<SecureOptions, 'socket'> {
  failed?: (error: StreamTaskError) => void;
}

/**
 * Waits for the handshake of a TLS socket made with tlsConnectOptions and decides trust;
 * resolves with the socket once trusted. Its listeners run before any already on the socket,
 * so that a failure is the handshake's (and `failed` hears it first), not a lost connection's.
 */
export function handshake(socket: tls.TLSSocket, options: HandshakeOptions): Promise<{ socket: tls.TLSSocket; info: SecureConnectionInfo }> {
  const { host, context } = options;
  const settings = options.tls;
  const servername = sniFor(host, settings);
  const nameToVerify = settings.servername ?? host;
  const verify = settings.rejectUnauthorized !== false;

  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: StreamTaskError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.failed?.(error);
      socket.destroy();
      reject(error);
    };
    const onError = (error: Error): void => fail(handshakeError(error, context));
    const onClose = (): void => fail(streamTaskError('secureConnectionFailed', context, 'the peer closed the connection during the TLS handshake'));
    socket.prependListener('error', onError);
    socket.prependOnceListener('close', onClose);
    if (options.timeout > 0) {
      // The error is made when the limit runs out (an Error captures a stack; see docs/decisions.md).
      timer = setTimeout(() => fail(streamTaskError('timedOut', context, `the TLS handshake timed out after ${options.timeout} ms`)), options.timeout);
    }
    socket.once('secureConnect', () => {
      void decide().then(
        (refusal) => {
          if (refusal !== null) return fail(refusal);
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          // Only ours: Node's own 'close' listener frees the TLS state (onSocketCloseDestroySSL).
          socket.off('error', onError);
          socket.off('close', onClose);
          resolve({ socket, info: describeConnection(socket, servername) });
        },
        (error: unknown) => fail(streamTaskError('serverCertificateUntrusted', context, 'serverTrust threw', { cause: error })),
      );
    });

    /** Null to accept, or the error to refuse with. */
    async function decide(): Promise<StreamTaskError | null> {
      const certificate = socket.getPeerCertificate(true);
      const authorizationError = socket.authorizationError === undefined ? null : String(socket.authorizationError);
      if (settings.serverTrust !== undefined) {
        const disposition = await settings.serverTrust({
          host, servername: nameToVerify, authorized: socket.authorized, authorizationError, certificate,
        });
        if (disposition === 'accept') return null;
        if (disposition === 'reject') return untrusted(context, 'refused by serverTrust', authorizationError);
        if (disposition !== 'default') {
          return untrusted(context, `serverTrust returned ${JSON.stringify(disposition)}, not 'accept', 'reject' or 'default'`, null);
        }
      }
      if (verify && !socket.authorized) return untrusted(context, 'the certificate does not verify', authorizationError);
      if (settings.pinnedPublicKeys !== undefined && !matchesPin(certificate, settings.pinnedPublicKeys)) {
        return untrusted(context, 'no certificate in the chain matches a pinned public key', null);
      }
      return null;
    }
  });
}

function untrusted(context: ErrorContext, why: string, reason: string | null): StreamTaskError {
  const detail = reason === null ? why : `${why}: ${reason}`;
  return streamTaskError('serverCertificateUntrusted', context, detail, { cause: reason ?? undefined });
}

/** Handshake failures: certificate problems are `serverCertificateUntrusted`, the rest `secureConnectionFailed`. */
function handshakeError(error: unknown, context: ErrorContext): StreamTaskError {
  const code = systemCode(error) ?? '';
  const message = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  const certificate = /CERT|ALTNAME|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);
  return streamTaskError(certificate ? 'serverCertificateUntrusted' : 'secureConnectionFailed', context,
    `TLS handshake failed: ${message}`, { cause: error });
}

/** SHA-256 of a certificate's SubjectPublicKeyInfo, base64 (what HPKP's pin-sha256 holds). */
export function publicKeyPin(certificate: tls.PeerCertificate): string {
  return certificate.pubkey === undefined ? '' : createHash('sha256').update(certificate.pubkey).digest('base64');
}

function matchesPin(leaf: tls.DetailedPeerCertificate, pins: string[]): boolean {
  const wanted = new Set(pins.map((pin) => pin.replace(/^sha256\//, '')));
  const seen = new Set<tls.DetailedPeerCertificate>();
  for (let certificate: tls.DetailedPeerCertificate | undefined = leaf; certificate && !seen.has(certificate); certificate = certificate.issuerCertificate) {
    seen.add(certificate);
    if (certificate.pubkey !== undefined && wanted.has(publicKeyPin(certificate))) return true;
  }
  return false;
}

function describeConnection(socket: tls.TLSSocket, servername: string): SecureConnectionInfo {
  const certificate = socket.getPeerCertificate();
  const hasCertificate = certificate !== null && Object.keys(certificate).length > 0;
  return {
    protocol: socket.getProtocol() ?? '',
    cipher: socket.getCipher()?.standardName ?? '',
    alpnProtocol: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    servername,
    authorized: socket.authorized,
    peerCertificate: hasCertificate ? summarize(certificate) : null,
  };
}

function summarize(certificate: tls.PeerCertificate): PeerCertificateSummary {
  const name = (entries: tls.Certificate): string =>
    Object.entries(entries).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`).join(', ');
  return {
    subject: name(certificate.subject),
    issuer: name(certificate.issuer),
    subjectAltName: certificate.subjectaltname ?? null,
    validFrom: new Date(certificate.valid_from),
    validTo: new Date(certificate.valid_to),
    fingerprint256: certificate.fingerprint256,
    publicKeyPin: publicKeyPin(certificate),
  };
}

