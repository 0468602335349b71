/**
 * The setting of the proxy tests: targets behind a proxy (a plain peer that speaks first, at
 * once, so its first bytes come right behind the proxy's reply, and a TLS echo peer for
 * `localhost`), the certificates, and a fresh session per test; all closed after.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { Session } from '../../lib/index.js';
import { makeCertificates, type TestCertificates } from './certificates.js';
import { startPeer, type Peer } from './peer.js';
import { startTlsEchoPeer, type TlsPeer } from './tls-peers.js';

export interface ProxiedTargets {
  readonly certs: TestCertificates;
  /** Writes "HELLO FROM TARGET\n" as each connection opens. */
  readonly target: Peer;
  /** Answers what it reads in upper case, over TLS. */
  readonly tlsTarget: TlsPeer;
  readonly session: Session;
}

export function useProxiedTargets(): ProxiedTargets {
  const current = {} as { certs: TestCertificates; target: Peer; tlsTarget: TlsPeer; session: Session };
  beforeAll(async () => {
    current.certs = makeCertificates();
    current.tlsTarget = await startTlsEchoPeer({ key: current.certs.leaf.key, cert: current.certs.leaf.cert });
  });
  afterAll(async () => {
    await current.tlsTarget?.close();
    current.certs.remove();
  });
  beforeEach(async () => {
    current.target = await startPeer((connection) => connection.socket.write('HELLO FROM TARGET\n'));
    current.session = new Session({ timeoutIntervalForRequest: 5000 });
  });
  afterEach(async () => {
    await current.session?.[Symbol.asyncDispose]();
    await current.target?.close();
  });
  return current;
}
