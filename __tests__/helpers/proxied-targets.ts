/**
 * The setting of the proxy tests: targets behind a proxy (a plain peer that speaks first, at
 * once, so its first bytes come right behind the proxy's reply, and a TLS echo peer for
 * `localhost`), the certificates, and a fresh session per test; all closed after.
 */
import { afterAll, afterEach, beforeAll, beforeEach, expect } from '@jest/globals';
import { Session, type StreamTask } from '../../lib/index.js';
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

/**
 * Checks a task opened to `target` through a proxy carries bytes both ways: the target's first
 * bytes (right behind the proxy's reply) come first, then `message` reaches the target.
 */
export async function expectTunnel(task: StreamTask, target: Peer, message: string): Promise<void> {
  expect(await task.readLine()).toBe('HELLO FROM TARGET');
  await task.write(message);
  expect((await (await target.connection()).waitForBytes(message.length)).toString()).toBe(message);
  expect(task.metrics.isProxyConnection).toBe(true);
}
