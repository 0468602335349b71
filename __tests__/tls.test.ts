import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type * as net from 'node:net';
import tls from 'node:tls';
import { Session, StreamTaskSecureEvent, type SecureConnectionInfo, type StreamTask } from '../lib/index.js';
import { startCccPeer } from './helpers/ccc-peer.js';
import { makeCertificates, type TestCertificates } from './helpers/certificates.js';
import { expectCode, text } from './helpers/fixture.js';
import { settle } from './helpers/peer.js';
import { startSilentPeer, startStartTlsPeer, startTlsEchoPeer, type TlsPeer } from './helpers/tls-peers.js';

let certs: TestCertificates;
let session: Session;

beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.remove());
beforeEach(() => {
  session = new Session({ timeoutIntervalForRequest: 5000 });
});
afterEach(async () => {
  await session[Symbol.asyncDispose]();
});

async function withPeer<T>(peer: Promise<TlsPeer>, run: (peer: TlsPeer) => Promise<T>): Promise<T> {
  const started = await peer;
  try {
    return await run(started);
  } finally {
    await started.close();
  }
}

const leafServer = (): Promise<TlsPeer> => startTlsEchoPeer({ key: certs.leaf.key, cert: certs.leaf.cert });

describe('TLS from the first byte', () => {
  // allowStop runs TLS over the record feed instead of the socket's handle: the same behaviour.
  test.each([false, true])('verifies, sends SNI, reports what was negotiated, and reads and half-closes over TLS (allowStop: %s)', async (allowStop) => {
    await withPeer(leafServer(), async (peer) => {
      const task = session.streamTask('localhost', peer.port, { tls: { ca: certs.ca, allowStop } });
      const secured = new Promise<StreamTaskSecureEvent>((resolve) => task.addEventListener('secureconnection', resolve));
      task.resume();
      const info = await task.opened;
      const tls = info.tls!;
      expect(tls.protocol).toBe('TLSv1.3');
      expect(tls.cipher).toMatch(/^TLS_/);
      expect(tls.authorized).toBe(true);
      expect(tls.servername).toBe('localhost');
      expect(tls.peerCertificate?.subject).toBe('CN=localhost');
      expect(tls.peerCertificate?.validTo.getTime()).toBeGreaterThan(Date.now());
      expect((await secured).info).toEqual(tls);
      await task.write('hello over tls');
      expect(text(await task.readExactly(14))).toBe('HELLO OVER TLS');
      await task.closeWrite();
      const rest = await task.readData({ minLength: 3 });
      expect(text(rest.data)).toBe('BYE');
      expect((await task.readData()).atEOF).toBe(true);
      await task.closed;
      expect(peer.sessions[0]!.servername).toBe('localhost');
      const metrics = task.metrics;
      expect(metrics.negotiatedTLSProtocolVersion).toBe('TLSv1.3');
      expect(metrics.secureConnectionStartDate!.getTime()).toBeLessThanOrEqual(metrics.secureConnectionEndDate!.getTime());
      expect(metrics.connectEndDate!.getTime()).toBeLessThanOrEqual(metrics.secureConnectionStartDate!.getTime());
    });
  });

  test.each([false, true])('the peer closing first over TLS ends only its side: we can still write, then close (allowStop: %s)', async (allowStop) => {
    const heard: string[] = [];
    const server = tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert, allowHalfOpen: true }, (socket) => {
      socket.on('data', (data: Buffer) => heard.push(data.toString()));
      socket.on('error', () => {});
      socket.end('done talking'); // close_notify and FIN right away; still listening
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const task = await session.connect('localhost', (server.address() as AddressInfo).port, { tls: { ca: certs.ca, allowStop } });
      // Listening first: the peer's close_notify may be taken in the same turn as its last bytes
      // (Node 24 does, over the record feed), and an event that fired is not heard later.
      const readClosed = once(task, 'readclosed');
      expect(text(await task.readExactly(12))).toBe('done talking');
      await readClosed;
      expect(task.state).toBe('running');
      await task.write('but I am not');
      await task.closeWrite();
      expect(await task.readData()).toEqual({ data: new Uint8Array(0), atEOF: true });
      await task.closed;
      expect(task.error).toBeNull();
      while (heard.join('') !== 'but I am not') await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('an address literal gets no SNI but its IP is still verified', async () => {
    await withPeer(leafServer(), async (peer) => {
      const task = await session.connect('127.0.0.1', peer.port, { tls: { ca: certs.ca } });
      expect((await task.opened).tls?.authorized).toBe(true);
      await task.write('x');
      await task.readExactly(1);
      expect(peer.sessions[0]!.servername).toBe(false);
    });
  });

  test.each([
    ['an untrusted CA', () => ({ key: certs.selfSigned.key, cert: certs.selfSigned.cert }), /does not verify: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED)/],
    ['a wrong host name', () => ({ key: certs.wrongHost.key, cert: certs.wrongHost.cert }), /does not verify: ERR_TLS_CERT_ALTNAME_INVALID/],
    ['an expired certificate', () => ({ key: certs.expired.key, cert: certs.expired.cert }), /does not verify: CERT_HAS_EXPIRED/],
  ])('%s: serverCertificateUntrusted with the reason', async (_, credentials, reason) => {
    await withPeer(startTlsEchoPeer(credentials()), async (peer) => {
      const task = session.streamTask('localhost', peer.port, { tls: { ca: certs.ca } });
      const read = settle(task.readData());
      task.resume();
      const error = expectCode((await settle(task.opened)).error, 'serverCertificateUntrusted', -1202);
      expect(error.message).toMatch(reason);
      // The user called connect (resume), not startSecureConnection: the message says so.
      expect(error.message).toMatch(new RegExp(`^connect to localhost:${peer.port}: `));
      expect((await read).error).toBe(error);
      expect(peer.sessions.every((s) => s.received === '')).toBe(true);
      const viaConnect = expectCode((await settle(session.connect('localhost', peer.port, { tls: { ca: certs.ca } }))).error, 'serverCertificateUntrusted');
      expect(viaConnect.message).toMatch(new RegExp(`^connect to localhost:${peer.port}: `));
    });
  });

  test('rejectUnauthorized: false accepts, and says it was not authorized', async () => {
    await withPeer(startTlsEchoPeer({ key: certs.selfSigned.key, cert: certs.selfSigned.cert }), async (peer) => {
      const task = await session.connect('localhost', peer.port, { tls: { rejectUnauthorized: false } });
      expect((await task.opened).tls?.authorized).toBe(false);
    });
  });

  test('a TLS 1.0-only peer is refused: TLS 1.2 is the floor', async () => {
    const peer = startTlsEchoPeer({
      key: certs.leaf.key, cert: certs.leaf.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0',
    });
    await withPeer(peer, async ({ port }) => {
      const error = expectCode((await settle(session.connect('localhost', port, { tls: { ca: certs.ca } }))).error, 'secureConnectionFailed', -1200);
      expect(error.message).toMatch(/TLS handshake failed/);
    });
  });

  test('pins: a matching SPKI pin connects; a different one is refused', async () => {
    await withPeer(leafServer(), async (peer) => {
      const first = await session.connect('localhost', peer.port, { tls: { ca: certs.ca } });
      const pin = (await first.opened).tls!.peerCertificate!.publicKeyPin;
      first.cancel();
      const pinned = await session.connect('localhost', peer.port, { tls: { ca: certs.ca, pinnedPublicKeys: [`sha256/${pin}`] } });
      expect((await pinned.opened).tls?.authorized).toBe(true);
      const other = Buffer.alloc(32, 1).toString('base64');
      const error = expectCode((await settle(session.connect('localhost', peer.port, { tls: { ca: certs.ca, pinnedPublicKeys: [other] } }))).error, 'serverCertificateUntrusted');
      expect(error.message).toMatch(/no certificate in the chain matches a pinned public key/);
    });
  });

  test('serverTrust decides: accept a self-signed server, reject a valid one, default verifies', async () => {
    await withPeer(startTlsEchoPeer({ key: certs.selfSigned.key, cert: certs.selfSigned.cert }), async (peer) => {
      const seen: boolean[] = [];
      const task = await session.connect('localhost', peer.port, {
        tls: { serverTrust: ({ authorized, certificate }) => (seen.push(authorized), certificate.subject.CN === 'localhost' ? 'accept' : 'reject') },
      });
      expect(seen).toEqual([false]);
      expect((await task.opened).tls?.authorized).toBe(false);
      const byDefault = await settle(session.connect('localhost', peer.port, { tls: { serverTrust: async () => 'default' as const } }));
      expectCode(byDefault.error, 'serverCertificateUntrusted');
    });
    await withPeer(leafServer(), async (peer) => {
      const refused = await settle(session.connect('localhost', peer.port, { tls: { ca: certs.ca, serverTrust: () => 'reject' } }));
      expect(expectCode(refused.error, 'serverCertificateUntrusted').message).toMatch(/refused by serverTrust/);
    });
  });

  test('client certificates and ALPN', async () => {
    const peer = startTlsEchoPeer({
      key: certs.leaf.key, cert: certs.leaf.cert, ca: certs.ca, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['x-streamtask'],
    });
    await withPeer(peer, async ({ port, sessions }) => {
      const task = await session.connect('localhost', port, {
        tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key, ALPNProtocols: ['h2', 'x-streamtask'] },
      });
      expect((await task.opened).tls?.alpnProtocol).toBe('x-streamtask');
      await task.write('a');
      await task.readExactly(1);
      expect(sessions[0]!.authorized).toBe(true);
      expect(sessions[0]!.alpn).toBe('x-streamtask');
    });
  });

  test('a handshake that never answers times out within timeoutIntervalForRequest', async () => {
    const silent = await startSilentPeer();
    try {
      const error = expectCode((await settle(session.connect('localhost', silent.port, { tls: { ca: certs.ca }, timeoutIntervalForRequest: 200 }))).error, 'timedOut');
      expect(error.message).toMatch(/timed out after 200 ms/);
    } finally {
      await silent.close();
    }
  });

  test('cancelled during the handshake: cancelled, and the socket closes', async () => {
    const silent = await startSilentPeer();
    try {
      const task = session.streamTask('localhost', silent.port, { tls: { ca: certs.ca } });
      task.resume();
      await new Promise((resolve) => setTimeout(resolve, 50));
      task.cancel(new Error('changed my mind'));
      expectCode((await settle(task.opened)).error, 'cancelled');
      expectCode((await settle(task.closed)).error, 'cancelled');
      expect(task.state).toBe('completed');
    } finally {
      await silent.close();
    }
  });

  test('waitsForConnectivity with TLS from the first byte: refused, then the TLS server appears', async () => {
    const probe = tls.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const task = session.streamTask('localhost', port, { tls: { ca: certs.ca }, waitsForConnectivity: true, timeoutIntervalForResource: 10_000 });
    task.resume();
    await once(task, 'waitingforconnectivity');
    const server = tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (socket) => socket.end('late but secure\n'));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    try {
      expect((await task.opened).tls?.authorized).toBe(true);
      expect(await task.readLine()).toBe('late but secure');
    } finally {
      task.cancel();
      await settle(task.closed);
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('a peer that closes during the handshake: secureConnectionFailed', async () => {
    const rude = await startSilentPeer((socket) => socket.once('data', () => socket.destroy()));
    try {
      expectCode((await settle(session.connect('localhost', rude.port, { tls: { ca: certs.ca } }))).error, 'secureConnectionFailed');
    } finally {
      await rude.close();
    }
  });

  test('openssl s_server as the peer: TLS from the first byte, both directions', async () => {
    const server = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-naccept', '1',
      '-cert', certs.leaf.certPath, '-key', certs.leaf.keyPath], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = once(server, 'exit');
    let output = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    try {
      while (!/ACCEPT 127\.0\.0\.1:\d+/.test(output)) await new Promise((resolve) => setTimeout(resolve, 5));
      const port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(output)![1]);
      const task = await session.connect('localhost', port, { tls: { ca: certs.ca } });
      expect((await task.opened).tls?.authorized).toBe(true);
      await task.write('hello from streamtask\n');
      while (!output.includes('hello from streamtask')) await new Promise((resolve) => setTimeout(resolve, 5));
      server.stdin.write('hello from openssl\n');
      expect(await task.readLine({ timeout: 5000 })).toBe('hello from openssl');
      task.cancel();
      await settle(task.closed);
    } finally {
      server.kill();
      await exited;
    }
  });

  test('bad TLS options are argument errors', () => {
    expect(() => session.streamTask('localhost', 1, { tls: { minVersion: 'SSLv3' as never } })).toThrow(/`options\.tls\.minVersion` to be one of TLSv1, TLSv1\.1, TLSv1\.2, TLSv1\.3/);
    expect(() => session.streamTask('localhost', 1, { tls: { pinnedPublicKeys: ['nope'] } })).toThrow(/`options\.tls\.pinnedPublicKeys`/);
    expect(() => new Session({ tls: { serverTrust: 'yes' as never } })).toThrow(/`configuration\.tls\.serverTrust` to be a function/);
  });
});

describe('TLS from the first byte on a socket tls.connect opened (its bytes through onread)', () => {
  /** A TLS server that speaks first, at once, then sends `bulk` bytes of a pattern on request. */
  async function withGreetingServer(run: (port: number) => Promise<void>, bulk = 4 << 20): Promise<void> {
    const server = tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (socket) => {
      socket.on('error', () => {});
      socket.write('HELLO FROM A TLS SERVER\n');
      socket.once('data', () => {
        const pattern = Buffer.alloc(bulk);
        for (let i = 0; i < bulk; i++) pattern[i] = (i * 7 + (i >> 11)) & 0xff;
        socket.end(pattern);
      });
    });
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await run((server.address() as AddressInfo).port);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }
  const patternAt = (i: number): number => (i * 7 + (i >> 11)) & 0xff;

  test('the first bytes of a server that speaks at once are delivered, and a bulk transfer arrives whole by readData', async () => {
    await withGreetingServer(async (port) => {
      const task = await session.connect('localhost', port, { tls: { ca: certs.ca } });
      expect(await task.readLine()).toBe('HELLO FROM A TLS SERVER');
      await task.write('go');
      let at = 0;
      for (;;) {
        const { data, atEOF } = await task.readData({ maxLength: 100_000 });
        for (let i = 0; i < data.length; i++) if (data[i] !== patternAt(at + i)) throw new Error(`byte ${at + i} is wrong`);
        at += data.length;
        if (atEOF) break;
      }
      expect(at).toBe(4 << 20);
      await task.closeWrite();
      await task.closed;
    });
  });

  test('captured after a read, the readable holds every byte once, in order (chunks stay valid when transferred)', async () => {
    await withGreetingServer(async (port) => {
      const task = await session.connect('localhost', port, { tls: { ca: certs.ca } });
      expect(text(await task.readExactly(6))).toBe('HELLO ');
      await task.write('go');
      const { readable, writable } = await task.captureStreams();
      const chunks: Uint8Array[] = [];
      for await (const chunk of readable) chunks.push(chunk);
      const all = Buffer.concat(chunks);
      expect(all.subarray(0, 18).toString()).toBe('FROM A TLS SERVER\n');
      const bulk = all.subarray(18);
      expect(bulk.length).toBe(4 << 20);
      for (let i = 0; i < bulk.length; i++) if (bulk[i] !== patternAt(i)) throw new Error(`byte ${i} is wrong`);
      await writable.close();
      await task.closed;
    });
  });

  test('a server refused after the handshake (serverTrust, pins): not one of the bytes it sent at once is ever readable', async () => {
    await withGreetingServer(async (port) => {
      for (const settings of [
        // Decided late, so the greeting has surely arrived by then.
        { ca: certs.ca, serverTrust: async () => (await new Promise((resolve) => setTimeout(resolve, 100)), 'reject' as const) },
        { ca: certs.ca, pinnedPublicKeys: ['sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='] },
      ]) {
        const task = session.streamTask('localhost', port, { tls: settings });
        const early = settle(task.readData({ minLength: 0 }));
        task.resume();
        expectCode((await settle(task.opened)).error, 'serverCertificateUntrusted');
        expectCode((await early).error, 'serverCertificateUntrusted');
        expect(task.bufferedAmount).toBe(0);
        for (const read of [(): Promise<unknown> => task.readLine(), () => task.readData({ minLength: 0 }), () => task.readExactly(1)]) {
          expectCode((await settle(read())).error, 'serverCertificateUntrusted');
        }
        await settle(task.closed);
      }
    });
  });
});

test('aborting the captured writable of a TLS task closes the connection without throwing (a TLS handle cannot reset)', async () => {
  const server = tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert });
  // The TCP connection (TLS 1.3: the server may not have finished its side of the handshake).
  const closedAtPeer = new Promise<void>((resolve) => {
    server.once('connection', (socket: net.Socket) => {
      socket.on('error', () => {});
      socket.once('close', () => resolve());
    });
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const task = await session.connect('localhost', (server.address() as AddressInfo).port, { tls: { ca: certs.ca } });
    const { readable, writable } = await task.captureStreams();
    const reading = settle(readable.getReader().read());
    await writable.abort(new Error('stop'));
    expectCode((await reading).error, 'cancelled');
    expectCode((await settle(task.closed)).error, 'cancelled');
    await closedAtPeer;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('STARTTLS', () => {
  test('operations queued on both sides before the upgrade run in plaintext, those after over TLS', async () => {
    const peer = await startStartTlsPeer({ key: certs.leaf.key, cert: certs.leaf.cert });
    try {
      const task = await session.connect('localhost', peer.port);
      expect((await task.opened).tls).toBeUndefined();
      const ready = task.readLine();
      const command = task.write('STARTTLS\n');
      const goAhead = task.readLine();
      const upgrading = task.startSecureConnection({ ca: certs.ca });
      const secureWrite = task.write('hello\n');
      const secureRead = task.readLine();
      expect(await ready).toBe('READY');
      await command;
      expect(await goAhead).toBe('GO');
      const info: SecureConnectionInfo = await upgrading;
      expect(info.protocol).toBe('TLSv1.3');
      await secureWrite;
      expect(await secureRead).toBe('SECURE hello');
      expect(peer.secureReceived).toEqual(['hello']);
      expectCode((await settle(task.startSecureConnection())).error, 'invalidState');
    } finally {
      await peer.close();
    }
  });

  test('plaintext injected after the go-ahead is never read as secure: the upgrade is refused and the task closed', async () => {
    const peer = await startStartTlsPeer({ key: certs.leaf.key, cert: certs.leaf.cert }, 'INJECTED 250 fake\n');
    try {
      const task = await session.connect('localhost', peer.port);
      expect(await task.readLine()).toBe('READY');
      await task.write('STARTTLS\n');
      const goAhead = await task.readLine();
      expect(goAhead).toBe('GO');
      // Make sure the injected bytes have arrived (they came in the same write as GO).
      while (task.bufferedAmount === 0) await new Promise((resolve) => setImmediate(resolve));
      const error = expectCode((await settle(task.startSecureConnection({ ca: certs.ca }))).error, 'secureConnectionFailed');
      expect(error.message).toMatch(/18 bytes of plaintext arrived before the TLS upgrade and were not read/);
      expectCode((await settle(task.closed)).error, 'secureConnectionFailed');
      // Not one injected byte reaches the application, by any read.
      expect(task.bufferedAmount).toBe(0);
      for (const read of [
        (): Promise<unknown> => task.readLine(), () => task.readData({ minLength: 1 }), () => task.readData({ minLength: 0 }),
        () => task.readExactly(5), () => task.readUntil('\n'), async () => { for await (const chunk of task) return chunk; },
      ]) {
        const outcome = await settle(read());
        if (outcome.error === undefined) throw new Error(`${read.toString()} gave ${JSON.stringify(outcome)}`);
        expectCode(outcome.error, "secureConnectionFailed");
      }
    } finally {
      await peer.close();
    }
  });

  test('discardUnreadPlaintext drops the injected bytes and upgrades', async () => {
    const peer = await startStartTlsPeer({ key: certs.leaf.key, cert: certs.leaf.cert }, 'INJECTED\n');
    try {
      const task = await session.connect('localhost', peer.port);
      await task.readLine();
      await task.write('STARTTLS\n');
      await task.readLine();
      while (task.bufferedAmount === 0) await new Promise((resolve) => setImmediate(resolve));
      await task.startSecureConnection({ ca: certs.ca, discardUnreadPlaintext: true });
      await task.write('after\n');
      expect(await task.readLine()).toBe('SECURE after');
    } finally {
      await peer.close();
    }
  });

});

describe('stopSecureConnection (FTP CCC) against Python\'s ssl module', () => {
  /** AUTH TLS with allowStop, one exchange over TLS, then CCC and its 200 reply. */
  async function secureThenCcc(port: number, from: Session = session): Promise<StreamTask> {
    const task = await from.connect('localhost', port);
    expect(await task.readLine()).toBe('220 READY');
    await task.write('AUTH TLS\r\n');
    expect(await task.readLine()).toBe('234 GO');
    await task.startSecureConnection({ ca: certs.ca, allowStop: true });
    await task.write('USER secret\r\n');
    expect(await task.readLine()).toBe('250 USER secret');
    await task.write('CCC\r\n');
    expect(await task.readLine()).toBe('200 CCC');
    return task;
  }

  test.each(['server-first', 'client-first'] as const)('%s close_notify: then plaintext both ways, not a byte lost', async (mode) => {
    const peer = await startCccPeer(certs.leaf, mode);
    try {
      const task = await secureThenCcc(peer.port);
      await task.stopSecureConnection();
      // The peer sent this in the same segment as its close_notify.
      expect(await task.readLine()).toBe('PLAIN HELLO');
      await task.write('PING\r\n');
      expect(await task.readLine()).toBe('PONG');
      // Plaintext, and secure again on the same connection.
      await task.write('AUTH TLS\r\n');
      expect(await task.readLine()).toBe('234 GO');
      const info = await task.startSecureConnection({ ca: certs.ca });
      expect(info.authorized).toBe(true);
      await task.write('again\r\n');
      expect(await task.readLine()).toBe('250 again');
      expectCode((await settle(task.stopSecureConnection())).error, 'invalidState');
    } finally {
      await peer.close();
    }
  });

  test('the peer\'s close_notify ends the secure stream for reads; stopping goes on in plaintext', async () => {
    const peer = await startCccPeer(certs.leaf, 'server-first');
    try {
      const task = await secureThenCcc(peer.port);
      const end = await task.readData({ minLength: 1, timeout: 5000 });
      expect([end.data.length, end.atEOF]).toEqual([0, true]);
      await task.stopSecureConnection();
      expect(await task.readLine()).toBe('PLAIN HELLO');
      await task.write('QUIT\r\n');
      expect(await task.readLine()).toBe('221 BYE');
      const closed = await task.readData({ minLength: 1, timeout: 5000 });
      expect([closed.data.length, closed.atEOF]).toEqual([0, true]);
    } finally {
      await peer.close();
    }
  });

  test.each(['server-first', 'client-first'] as const)('%s: a megabyte still unread at the stop (socket paused) comes first, then the plaintext', async (mode) => {
    const peer = await startCccPeer(certs.leaf, mode);
    const small = new Session({ timeoutIntervalForRequest: 5000, readBufferSize: 16 * 1024 });
    try {
      const task = await small.connect('localhost', peer.port);
      await task.readLine();
      await task.write('AUTH TLS\r\n');
      await task.readLine();
      await task.startSecureConnection({ ca: certs.ca, allowStop: true });
      const size = 1_000_000;
      await task.write(`BULK ${size}\r\nCCC\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(task.bufferedAmount).toBeLessThan(size);
      await task.stopSecureConnection();
      const bulk = await task.readData({ minLength: size + 2, maxLength: size + 2 });
      expect(Buffer.from(bulk.data).toString('latin1')).toBe(`${'x'.repeat(size)}\r\n`);
      expect(await task.readLine()).toBe('200 CCC');
      expect(await task.readLine()).toBe('PLAIN HELLO');
      await task.write('PING\r\n');
      expect(await task.readLine()).toBe('PONG');
    } finally {
      await small[Symbol.asyncDispose]();
      await peer.close();
    }
  });

  test('TLS from the first byte with allowStop can be stopped too', async () => {
    const peer = await startCccPeer(certs.leaf, 'implicit-client-first');
    try {
      const task = await session.connect('localhost', peer.port, { tls: { ca: certs.ca, allowStop: true } });
      expect((await task.opened).tls?.authorized).toBe(true);
      await task.write('hello\r\nCCC\r\n');
      expect(await task.readLine()).toBe('250 hello');
      expect(await task.readLine()).toBe('200 CCC');
      await task.stopSecureConnection();
      expect(await task.readLine()).toBe('PLAIN HELLO');
      await task.write('PING\r\n');
      expect(await task.readLine()).toBe('PONG');
    } finally {
      await peer.close();
    }
  });

  test('operations enqueued around the stop run in order: before it over TLS, after it in plaintext', async () => {
    const peer = await startCccPeer(certs.leaf, 'client-first');
    try {
      const task = await session.connect('localhost', peer.port);
      await task.readLine();
      await task.write('AUTH TLS\r\n');
      await task.readLine();
      await task.startSecureConnection({ ca: certs.ca, allowStop: true });
      const results = Promise.all([
        task.write('CCC\r\n'),
        task.readLine(),
        task.stopSecureConnection(),
        task.readLine(),
        task.write('PING\r\n'),
        task.readLine(),
      ]);
      const [, reply, , hello, , pong] = await results;
      expect([reply, hello, pong]).toEqual(['200 CCC', 'PLAIN HELLO', 'PONG']);
    } finally {
      await peer.close();
    }
  });

  test('without allowStop, or on a plaintext connection, it rejects invalidState with the reason', async () => {
    const peer = await startCccPeer(certs.leaf, 'client-first');
    try {
      const task = await session.connect('localhost', peer.port);
      expect(expectCode((await settle(task.stopSecureConnection())).error, 'invalidState').message).toMatch(/not secure/);
      await task.readLine();
      await task.write('AUTH TLS\r\n');
      await task.readLine();
      await task.startSecureConnection({ ca: certs.ca });
      const error = expectCode((await settle(task.stopSecureConnection())).error, 'invalidState');
      expect(error.message).toMatch(/without allowStop: true/);
      // The task is unharmed.
      await task.write('still\r\n');
      expect(await task.readLine()).toBe('250 still');
    } finally {
      await peer.close();
    }
  });

  test('a peer that never answers close_notify: timedOut, and the task fails', async () => {
    const peer = await startCccPeer(certs.leaf, 'mute');
    const quick = new Session({ timeoutIntervalForRequest: 300 });
    try {
      const task = await quick.connect('localhost', peer.port);
      await task.readLine();
      await task.write('AUTH TLS\r\n');
      await task.readLine();
      await task.startSecureConnection({ ca: certs.ca, allowStop: true });
      await task.write('CCC\r\n');
      expect(await task.readLine()).toBe('200 CCC');
      expectCode((await settle(task.stopSecureConnection())).error, 'timedOut');
      expectCode((await settle(task.closed)).error, 'timedOut');
    } finally {
      await quick[Symbol.asyncDispose]();
      await peer.close();
    }
  });

  test('cancelling while the stop waits for the peer rejects it cancelled and closes everything', async () => {
    const peer = await startCccPeer(certs.leaf, 'mute');
    // The stop's time limit is timeoutIntervalForRequest: a value no other timer in the process has.
    const LIMIT = 654_321;
    const own = new Session({ timeoutIntervalForRequest: LIMIT });
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const limits = new Set<unknown>();
    try {
      const task = await secureThenCcc(peer.port, own);
      // Watch timers with that limit being made and cleared (counting all of the process's timers
      // would count other tests' and Node's too).
      globalThis.setTimeout = ((callback: () => void, ms?: number) => {
        const timer = realSet(callback, ms);
        if (ms === LIMIT) limits.add(timer);
        return timer;
      }) as typeof setTimeout;
      globalThis.clearTimeout = ((timer?: Parameters<typeof clearTimeout>[0]) => {
        limits.delete(timer);
        realClear(timer);
      }) as typeof clearTimeout;
      const stopping = settle(task.stopSecureConnection());
      await new Promise((resolve) => realSet(resolve, 50));
      task.cancel();
      expectCode((await stopping).error, 'cancelled');
      expectCode((await settle(task.closed)).error, 'cancelled');
      // The stop's own time limit went with it (it does not linger until it fires).
      expect(limits.size).toBe(0);
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
      for (const timer of limits) realClear(timer as NodeJS.Timeout);
      await own[Symbol.asyncDispose]();
      await peer.close();
    }
  });

  test('a peer that closes TCP instead of answering: secureConnectionFailed', async () => {
    const peer = await startCccPeer(certs.leaf, 'drop');
    try {
      const task = await secureThenCcc(peer.port);
      const error = expectCode((await settle(task.stopSecureConnection())).error, 'secureConnectionFailed');
      expect(error.message).toMatch(/before its close_notify|ended before/);
      await settle(task.closed);
    } finally {
      await peer.close();
    }
  });
});
