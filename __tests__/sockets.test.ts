/**
 * `streamtask/sockets`, the WinterTC Sockets API: the examples of the proposal's text
 * (https://sockets-api.proposal.wintertc.org/) run against loopback servers, then what the text
 * says of opened, closed, close(), allowHalfOpen, startTls() and SocketError.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { connect, SocketError, type Socket } from '../lib/sockets.js';
import { makeCertificates, type TestCertificates } from './helpers/certificates.js';
import { startPeer, unusedPort } from './helpers/peer.js';
import { startStartTlsPeer, startTlsEchoPeer } from './helpers/tls-peers.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.remove());

/** A server for one test; close() ends its connections too. */
async function serve(onConnection: (socket: net.Socket) => void, allowHalfOpen = true): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  const server = net.createServer({ allowHalfOpen }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (data: Buffer) => received.push(data.toString()));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function readAll(socket: Socket): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of socket.readable) text += decoder.decode(chunk, { stream: true });
  return text;
}

describe("the proposal's examples", () => {
  test('"A basic example of using connect with an echo server"', async () => {
    const server = await serve((socket) => socket.on('data', (data: Buffer) => socket.write(data)));
    try {
      const socket = connect({ hostname: '127.0.0.1', port: server.port });

      const writer = socket.writable.getWriter();
      await writer.write('Hello, World!\r\n');

      const reader = socket.readable.getReader();
      const result = await reader.read();

      expect(Buffer.from(result.value!).toString()).toBe('Hello, World!\r\n');
      await socket.close();
    } finally {
      await server.close();
    }
  });

  test('"typical ReadableStream usage to read data from a socket" (a "host:port" string)', async () => {
    const server = await serve((socket) => socket.end('line one\nline two\n'));
    try {
      const socket = connect(`127.0.0.1:${server.port}`);
      const reader = socket.readable.getReader();
      const seen: string[] = [];
      while (true) {
        const { value, done } = await reader.read();
        if (done) {
          // the ReadableStream has been closed or cancelled
          break;
        }
        const decoder = new TextDecoder();
        seen.push(decoder.decode(value));
      }
      reader.releaseLock();
      expect(seen.join('')).toBe('line one\nline two\n');
      // allowHalfOpen false (the default): the peer's FIN, once read, closed the socket.
      await socket.closed;
    } finally {
      await server.close();
    }
  });

  test('"typical WritableStream usage to write data to a socket", against an HTTP server', async () => {
    const server = http.createServer((request, response) => response.end(`you asked for ${request.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
      const writer = socket.writable.getWriter();
      const encoder = new TextEncoder();
      void writer.write(encoder.encode('GET / HTTP/1.0\r\n\r\n'));
      const answer = await readAll(socket);
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nyou asked for \/$/);
      await socket.closed;
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('"a simple code example showing usage of the startTls() method"', async () => {
    const peer = await startStartTlsPeer(certs.leaf);
    try {
      const sock = connect(`localhost:${peer.port}`, { secureTransport: 'starttls', tls: { ca: certs.ca } });
      // ... some code here ...
      const plainWriter = sock.writable.getWriter();
      const plainReader = sock.readable.getReader();
      const decoder = new TextDecoder();
      let said = '';
      while (!said.includes('READY\n')) said += decoder.decode((await plainReader.read()).value);
      await plainWriter.write('STARTTLS\n');
      while (!said.includes('GO\n')) said += decoder.decode((await plainReader.read()).value);
      // We want to StartTLS at this point.
      const tlsSock = sock.startTls();
      expect(sock.upgraded).toBe(true);
      expect(tlsSock.secureTransport).toBe('on');
      // "The original readers and writers based off the original socket will no longer work."
      await expect(plainReader.read()).rejects.toThrow(/^SocketError: the socket was upgraded/);
      await expect(plainWriter.write('x')).rejects.toBeInstanceOf(SocketError);
      await sock.closed;

      const info = await tlsSock.opened;
      expect(info.remoteAddress).toBe(`127.0.0.1:${peer.port}`);
      const writer = tlsSock.writable.getWriter();
      await writer.write('over tls\n');
      const reader = tlsSock.readable.getReader();
      expect(decoder.decode((await reader.read()).value)).toBe('SECURE over tls\n');
      expect(peer.plaintextAfterUpgrade).toEqual([]);
      await tlsSock.close();
    } finally {
      await peer.close();
    }
  });
});

describe('what the text says', () => {
  test("secureTransport 'on': opened resolves after the verified handshake, with the ALPN agreed", async () => {
    const peer = await startTlsEchoPeer({ key: certs.leaf.key, cert: certs.leaf.cert, ALPNProtocols: ['x-echo'] });
    try {
      const socket = connect({ hostname: 'localhost', port: peer.port }, { secureTransport: 'on', alpn: ['x-echo'], tls: { ca: certs.ca } });
      const info = await socket.opened;
      expect(info).toMatchObject({ remoteAddress: `127.0.0.1:${peer.port}`, alpn: 'x-echo' });
      expect(info.localAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      const writer = socket.writable.getWriter();
      await writer.write(new TextEncoder().encode('secret'));
      expect(new TextDecoder().decode((await socket.readable.getReader().read()).value)).toBe('SECRET');
      await socket.close();
    } finally {
      await peer.close();
    }
  });

  test("an unverified certificate rejects opened and closed with a SocketError (a TypeError)", async () => {
    const peer = await startTlsEchoPeer({ key: certs.selfSigned.key, cert: certs.selfSigned.cert });
    try {
      const socket = connect({ hostname: 'localhost', port: peer.port }, { secureTransport: 'on' });
      const error = await socket.opened.then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(SocketError);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/^SocketError: /);
      expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe('serverCertificateUntrusted');
      await expect(socket.closed).rejects.toBeInstanceOf(SocketError);
    } finally {
      await peer.close();
    }
  });

  test('a refused connection rejects opened, closed, the readable and the writable; nothing is unhandled', async () => {
    const socket = connect({ hostname: '127.0.0.1', port: await unusedPort() });
    await expect(socket.opened).rejects.toThrow(/^SocketError: .*ECONNREFUSED/);
    await expect(socket.closed).rejects.toBeInstanceOf(SocketError);
    await expect(socket.readable.getReader().read()).rejects.toBeInstanceOf(SocketError);
    await expect(socket.writable.getWriter().write('x')).rejects.toBeInstanceOf(SocketError);
  });

  test('a socket dropped unread after a failure raises no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      connect({ hostname: '127.0.0.1', port: await unusedPort() });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('close() cancels both streams, resolves closed (the same promise), and ends the connection', async () => {
    const peer = await startPeer();
    try {
      const socket = connect({ hostname: '127.0.0.1', port: peer.port });
      await socket.opened;
      const connection = await peer.connection();
      const reading = socket.readable.getReader().read();
      const closing = socket.close();
      expect(closing).toBe(socket.closed);
      await closing;
      await expect(reading).rejects.toBeDefined();
      await connection.ended;   // our FIN reached the peer
    } finally {
      await peer.close();
    }
  });

  test('allowHalfOpen: true keeps the writable open after the peer FIN; false closes the socket', async () => {
    const server = await serve((socket) => socket.end('bye\n'));
    try {
      const half = connect({ hostname: '127.0.0.1', port: server.port }, { allowHalfOpen: true });
      expect(await readAll(half)).toBe('bye\n');
      const writer = half.writable.getWriter();
      await writer.write('still here\n');
      await writer.close();
      await half.closed;
      for (let i = 0; i < 100 && !server.received.includes('still here\n'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(server.received).toContain('still here\n');

      const whole = connect({ hostname: '127.0.0.1', port: server.port });
      expect(await readAll(whole)).toBe('bye\n');
      await whole.closed;
      await expect(whole.writable.getWriter().write('late')).rejects.toBeDefined();
    } finally {
      await server.close();
    }
  });

  test('bad input throws a SocketError at once; startTls() only for starttls, only once', async () => {
    expect(() => connect('no-port')).toThrow(SocketError);
    expect(() => connect('host:99999')).toThrow(/port/);
    expect(() => connect({ hostname: '', port: 1 })).toThrow(/`address`/);
    expect(() => connect('127.0.0.1:1', { secureTransport: 'maybe' as never })).toThrow(/secureTransport/);
    expect(() => connect('127.0.0.1:1', { sni: 'x' })).toThrow(/need secureTransport/);
    const peer = await startPeer();
    try {
      const plain = connect(`127.0.0.1:${peer.port}`);
      expect(() => plain.startTls()).toThrow(/^SocketError: startTls\(\) needs secureTransport: 'starttls'/);
      await plain.close();
      const starttls = connect(`[::ffff:127.0.0.1]:${peer.port}`, { secureTransport: 'starttls' });
      await starttls.opened;
      const secured = starttls.startTls();
      expect(() => starttls.startTls()).toThrow(/already/);
      await secured.close();
    } finally {
      await peer.close();
    }
  });

  test('TLS from the start to a peer that speaks TLS through a plain server on the same connection', async () => {
    // The secure socket works with a server made by tls.connect's counterpart too.
    const server = tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (socket) => socket.end('hi over tls\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const socket = connect(`localhost:${(server.address() as net.AddressInfo).port}`, { secureTransport: 'on', tls: { ca: certs.ca } });
      expect(await readAll(socket)).toBe('hi over tls\n');
      await socket.closed;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
