import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Session, StreamTaskUpgradeEvent } from '../lib/index.js';
import { makeCertificates, type TestCertificates } from './helpers/certificates.js';
import { expectCode, text } from './helpers/fixture.js';
import { settle } from './helpers/peer.js';
import { clientFrame, readServerFrame } from './helpers/websocket-frames.js';

let session: Session;
beforeEach(() => {
  session = new Session({ timeoutIntervalForRequest: 5000 });
});
afterEach(async () => {
  await session[Symbol.asyncDispose]();
});

/** A raw HTTP server: answers every request head with `answer` in one write. */
async function rawServer(answer: (request: string) => string | Buffer): Promise<{ port: number; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (data: Buffer) => {
      head += data.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      requests.push(head);
      socket.write(answer(head));
      head = '';
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('upgrade to WebSocket against the ws server', () => {
  let wss: WebSocketServer;
  let port: number;
  const received: string[] = [];
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    port = (wss.address() as net.AddressInfo).port;
    wss.on('connection', (socket: WebSocket, request) => {
      socket.send(`welcome ${request.url}`);
      socket.on('message', (data) => {
        received.push(String(data));
        socket.send(`echo ${String(data)}`);
      });
    });
  });
  afterAll(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });

  test('101 with a verified accept key; then frames both ways with readExactly and write', async () => {
    const upgraded: StreamTaskUpgradeEvent[] = [];
    session.addEventListener('upgrade', (event) => upgraded.push(event as StreamTaskUpgradeEvent));
    const { response, task } = await session.upgrade(`ws://127.0.0.1:${port}/room?id=7`);
    expect(response.status).toBe(101);
    expect(response.headers.upgrade?.toLowerCase()).toBe('websocket');
    expect(task.state).toBe('running');
    expect(upgraded.map((event) => event.task)).toEqual([task]);
    const welcome = await readServerFrame(task);
    expect([welcome.opcode, welcome.payload.toString()]).toEqual([1, 'welcome /room?id=7']);
    await task.write(clientFrame(1, Buffer.from('hi there')));
    const echo = await readServerFrame(task);
    expect(echo.payload.toString()).toBe('echo hi there');
    expect(received).toContain('hi there');
    await task.write(clientFrame(8, Buffer.from([0x03, 0xe8]))); // close, 1000
    const close = await readServerFrame(task);
    expect(close.opcode).toBe(8);
  });

  test('the delegate hears didBecomeStreamTask', async () => {
    const heard: number[] = [];
    const withDelegate = new Session({}, { didBecomeStreamTask: (_task, response) => heard.push(response.status) });
    try {
      await withDelegate.upgrade(`ws://127.0.0.1:${port}/`);
      expect(heard).toEqual([101]);
    } finally {
      await withDelegate[Symbol.asyncDispose]();
    }
  });
});

describe('upgrade to a custom protocol', () => {
  test('bytes the server sent right after the 101 head, in the same write, are the first bytes', async () => {
    const server = await rawServer(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-chat/2\r\nConnection: Upgrade\r\n\r\nFIRST BYTES\n');
    try {
      const { response, task } = await session.upgrade(`http://127.0.0.1:${server.port}/chat`, {
        protocol: 'x-chat/2', headers: { 'X-Room': 'lobby' },
      });
      expect(response.statusText).toBe('Switching Protocols');
      expect(await task.readLine()).toBe('FIRST BYTES');
      const request = server.requests[0]!;
      expect(request).toMatch(/^GET \/chat HTTP\/1\.1\r\n/);
      expect(request).toContain(`Host: 127.0.0.1:${server.port}\r\n`);
      expect(request).toContain('Connection: Upgrade\r\nUpgrade: x-chat/2\r\n');
      expect(request).toContain('X-Room: lobby\r\n');
    } finally {
      await server.close();
    }
  });

  test('100 Continue before the 101 is skipped; a body is sent with Content-Length', async () => {
    const server = await rawServer(() => 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: x-proto\r\nConnection: upgrade\r\n\r\n');
    try {
      const { response } = await session.upgrade(`http://127.0.0.1:${server.port}/`, { protocol: 'x-proto', method: 'POST', body: 'payload' });
      expect(response.status).toBe(101);
      expect(server.requests[0]).toMatch(/^POST \/ HTTP\/1\.1\r\n[^]*Content-Length: 7\r\n\r\n/);
    } finally {
      await server.close();
    }
  });

  test.each([
    ['200 with a body', 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world', 200, /did not switch protocols: 200 OK/, 'hello world'],
    ['426 Upgrade Required', 'HTTP/1.1 426 Upgrade Required\r\nUpgrade: other\r\nContent-Length: 0\r\n\r\n', 426, /426 Upgrade Required/, ''],
    ['a 101 to another protocol', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n', 101, /upgrades to "h2c", not x-proto/, ''],
  ])('%s: badServerResponse with the status, headers and body start', async (_, answer, status, message, body) => {
    const server = await rawServer(() => answer);
    try {
      const error = expectCode((await settle(session.upgrade(`http://127.0.0.1:${server.port}/`, { protocol: 'x-proto' }))).error, 'badServerResponse', -1011);
      expect(error.message).toMatch(message);
      expect(error.response?.status).toBe(status);
      expect(text(error.response?.body ?? new Uint8Array(0))).toBe(body);
      expect(session.tasks).toEqual([]);
    } finally {
      await server.close();
    }
  });

  test('a head whose lines end in bare LF is accepted (RFC 9112 §2.2); the bytes after it are the task\'s', async () => {
    const server = await rawServer(() => 'HTTP/1.1 101 Switching Protocols\nUpgrade: x-proto\nConnection: upgrade\n\nFIRST\r\n');
    try {
      const { response, task } = await session.upgrade(`http://127.0.0.1:${server.port}/`, { protocol: 'x-proto', timeoutIntervalForRequest: 2000 });
      expect(response.headers.connection).toBe('upgrade');
      expect(await task.readLine()).toBe('FIRST');
    } finally {
      await server.close();
    }
  });

  test('a banner that is not HTTP fails at its first line, without waiting for a head that never comes', async () => {
    const server = await rawServer(() => 'SSH-2.0-OpenSSH_9.0\r\n');
    try {
      const started = Date.now();
      const error = expectCode((await settle(session.upgrade(`http://127.0.0.1:${server.port}/`, { protocol: 'x', timeoutIntervalForRequest: 5000 }))).error, 'badServerResponse');
      expect(error.message).toMatch(/not an HTTP\/1\.1 response: "SSH-2\.0-OpenSSH_9\.0"/);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      await server.close();
    }
  });

  test('garbage instead of HTTP: badServerResponse', async () => {
    const server = await rawServer(() => 'SSH-2.0-OpenSSH_9.0\r\n\r\n');
    try {
      const error = expectCode((await settle(session.upgrade(`http://127.0.0.1:${server.port}/`, { protocol: 'x' }))).error, 'badServerResponse');
      expect(error.message).toMatch(/not an HTTP\/1\.1 response: "SSH-2\.0-OpenSSH_9\.0"/);
    } finally {
      await server.close();
    }
  });

  test('a WebSocket 101 with a wrong Sec-WebSocket-Accept is refused', async () => {
    const server = await rawServer(() => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n');
    try {
      const error = expectCode((await settle(session.upgrade(`ws://127.0.0.1:${server.port}/`))).error, 'badServerResponse');
      expect(error.message).toMatch(/Sec-WebSocket-Accept does not match/);
    } finally {
      await server.close();
    }
  });

  /** A 101 with the right Sec-WebSocket-Accept for the request's key, and `fields` besides. */
  const websocket101 = (fields: string) => (request: string): string => {
    const key = /Sec-WebSocket-Key: (\S+)\r\n/.exec(request)![1]!;
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${accept}\r\n${fields}\r\nAFTER\n`;
  };

  test.each<[string, string, Record<string, string>, RegExp]>([
    ['no Connection field', '', {}, /Connection "", not Upgrade \(RFC 6455 §4\.1\)/],
    ['Connection: close', 'Connection: close\r\n', {}, /Connection "close", not Upgrade/],
    ['an extension nobody offered', 'Connection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate\r\n', {}, /extension "permessage-deflate", which we did not offer/],
    ['an extension other than the one offered', 'Connection: Upgrade\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n',
      { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }, /extension "x-webkit-deflate-frame"/],
    ['a subprotocol nobody offered', 'Connection: Upgrade\r\nSec-WebSocket-Protocol: chat\r\n', {}, /subprotocol "chat", which we did not offer/],
    ['a subprotocol other than those offered', 'Connection: Upgrade\r\nSec-WebSocket-Protocol: superchat\r\n', { 'Sec-WebSocket-Protocol': 'chat, v2.chat' }, /subprotocol "superchat"/],
  ])('a WebSocket 101 RFC 6455 says to fail: %s', async (_name, fields, headers, message) => {
    const server = await rawServer(websocket101(fields));
    try {
      const error = expectCode((await settle(session.upgrade(`ws://127.0.0.1:${server.port}/`, { headers }))).error, 'badServerResponse');
      expect(error.message).toMatch(message);
      expect(error.response?.status).toBe(101);
      expect(session.tasks).toEqual([]);
    } finally {
      await server.close();
    }
  });

  test('a WebSocket 101 choosing what was offered is accepted (Connection lists upgrade among others)', async () => {
    const server = await rawServer(websocket101('Connection: keep-alive, Upgrade\r\nSec-WebSocket-Protocol: v2.chat\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n'));
    try {
      const { response, task } = await session.upgrade(`ws://127.0.0.1:${server.port}/`, {
        headers: { 'Sec-WebSocket-Protocol': 'chat, v2.chat', 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' },
      });
      expect(response.headers['sec-websocket-protocol']).toBe('v2.chat');
      expect(await task.readLine()).toBe('AFTER');
    } finally {
      await server.close();
    }
  });

  test('header fields with CR, LF or NUL are refused before anything is sent', async () => {
    const server = await rawServer(() => '');
    try {
      await expect(session.upgrade(`http://127.0.0.1:${server.port}/`, { protocol: 'x', headers: { 'X-Evil': 'a\r\nInjected: yes' } }))
        .rejects.toThrow(/Expected `options\.headers\.X-Evil` to be a string without CR, LF or NUL/);
      await expect(session.upgrade(`http://127.0.0.1:${server.port}/`, { protocol: 'x', headers: [['Bad Name', 'v']] }))
        .rejects.toThrow(/field names to be HTTP tokens/);
      await expect(session.upgrade('ftp://127.0.0.1/', { protocol: 'x' })).rejects.toThrow(/http:, https:, ws: or wss: URL/);
      await expect(session.upgrade(`http://127.0.0.1:${server.port}/`)).rejects.toThrow(/`options\.protocol`/);
      expect(server.requests).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('wss: upgrade over TLS', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs.remove());

  test('TLS first (verified), then the WebSocket upgrade', async () => {
    const server = https.createServer({ key: certs.leaf.key, cert: certs.leaf.cert });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket: WebSocket) => socket.send('secure hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      const { task } = await session.upgrade(`wss://localhost:${port}/`, { tls: { ca: certs.ca } });
      expect((await task.opened).tls?.authorized).toBe(true);
      expect((await readServerFrame(task)).payload.toString()).toBe('secure hello');
      task.cancel();
    } finally {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
