/**
 * Unix domain sockets: a task by `path` does what a TCP task does (reads, writes, half-close,
 * TLS from the start and STARTTLS, capture), against a real redis-server on a socket in a
 * temporary folder and Node servers listening on paths. A missing or refused path is
 * `cannotConnectToHost`.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Session } from '../lib/index.js';
import { makeCertificates, type TestCertificates } from './helpers/certificates.js';
import { expectCode, text } from './helpers/fixture.js';
import { delay, settle } from './helpers/peer.js';

let dir: string;
let certs: TestCertificates;
let session: Session;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamtask-unix-'));
  certs = makeCertificates();
});
afterAll(() => {
  certs.remove();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  session = new Session({ timeoutIntervalForRequest: 5000 });
});
afterEach(async () => {
  await session[Symbol.asyncDispose]();
});

/** A server listening on a path in the temporary folder; close() ends its connections too. */
async function listenOnPath(server: net.Server, name: string): Promise<{ path: string; close(): Promise<void> }> {
  const path = join(dir, name);
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Echoes upper-cased; answers FIN with "BYE" and its own FIN. */
function echo(socket: net.Socket): void {
  socket.on('data', (data: Buffer) => socket.write(data.toString().toUpperCase()));
  socket.on('end', () => socket.end('BYE'));
}

const redisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!redisServer) console.warn('redis-server is not installed (apt-get install redis-server): its Unix-socket test is skipped');

(redisServer ? describe : describe.skip)('against redis-server on a Unix socket', () => {
  let redis: ChildProcess;
  let path: string;

  beforeAll(async () => {
    path = join(dir, 'redis.sock');
    redis = spawn('redis-server', ['--port', '0', '--unixsocket', path, '--unixsocketperm', '700',
      '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(path); i++) await delay(25);
    expect(existsSync(path)).toBe(true);
  });
  afterAll(async () => {
    redis.kill('SIGTERM');
    if (redis.exitCode === null) await once(redis, 'exit');
  });

  test('connect({ path }) speaks RESP: PING, SET, GET; the task names its path', async () => {
    const task = await session.connect({ path });
    expect(task.path).toBe(path);
    expect(task.host).toBe('localhost');
    expect(task.port).toBe(0);
    await task.write('PING\r\n');
    expect(await task.readLine()).toBe('+PONG');
    await task.write('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n');
    expect(await task.readLine()).toBe('+OK');
    expect(await task.readLine()).toBe('$5');
    expect(await task.readLine()).toBe('value');
    await task.write('QUIT\r\n');
    expect(await task.readLine()).toBe('+OK');
    const end = await task.readData();
    expect(end.atEOF).toBe(true);
    await task.closeWrite();
    await task.closed;
    expect(task.state).toBe('completed');
  });

  test('streamTask({ path }) enqueues before resume, and the lines of a pipeline arrive in order', async () => {
    const task = session.streamTask({ path });
    void task.write('INCR counter\r\n'.repeat(100));
    task.resume();
    const got: string[] = [];
    for await (const line of task.lines()) {
      got.push(line);
      if (got.length === 100) break;
    }
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `:${i + 1}`));
    task.cancel();
  });
});

describe('Node servers on a Unix socket', () => {
  test('reads, writes, half-closes each side, and captures the streams', async () => {
    const server = await listenOnPath(net.createServer({ allowHalfOpen: true }, echo), 'echo.sock');
    try {
      const task = await session.connect({ path: server.path });
      await task.write('hello');
      expect(text((await task.readData({ minLength: 5 })).data)).toBe('HELLO');
      const { readable, writable } = await task.captureStreams();
      const writer = writable.getWriter();
      await writer.write(new TextEncoder().encode('streams'));
      await writer.close();
      let all = '';
      for await (const chunk of readable) all += text(chunk);
      expect(all).toBe('STREAMSBYE');
    } finally {
      await server.close();
    }
  });

  test('TLS from the start over a Unix socket verifies localhost and sends it as SNI', async () => {
    let servername: string | false = false;
    const server = await listenOnPath(tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert, allowHalfOpen: true }, (socket) => {
      servername = (socket as tls.TLSSocket & { servername?: string | false }).servername ?? false;
      echo(socket);
    }), 'tls.sock');
    try {
      const task = await session.connect({ path: server.path, tls: { ca: certs.ca } });
      const { tls: info } = await task.opened;
      expect(info?.servername).toBe('localhost');
      await task.write('secret');
      expect(text((await task.readData({ minLength: 6 })).data)).toBe('SECRET');
      // Asked after a round trip: with TLS 1.3 the client finishes its handshake before the server does.
      expect(servername).toBe('localhost');
      await task.closeWrite();
      expect(text((await task.readData({ minLength: 3 })).data)).toBe('BYE');
    } finally {
      await server.close();
    }
  });

  test('STARTTLS over a Unix socket', async () => {
    const context = tls.createSecureContext({ key: certs.leaf.key, cert: certs.leaf.cert });
    const server = await listenOnPath(net.createServer((socket) => {
      socket.once('data', () => {
        socket.write('GO\n', () => {
          const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
          secure.on('error', () => {});
          secure.on('data', (data: Buffer) => secure.write(data.toString().toUpperCase()));
        });
      });
    }), 'starttls.sock');
    try {
      const task = await session.connect({ path: server.path });
      await task.write('STARTTLS\n');
      expect(await task.readLine()).toBe('GO');
      const info = await task.startSecureConnection({ ca: certs.ca });
      expect(info.authorized).toBe(true);
      await task.write('over tls');
      expect(text((await task.readData({ minLength: 8 })).data)).toBe('OVER TLS');
    } finally {
      await server.close();
    }
  });
});

describe('a path that does not answer', () => {
  test('a missing path is cannotConnectToHost, naming the path', async () => {
    const path = join(dir, 'nobody-here.sock');
    const { error } = await settle(session.connect({ path }));
    const failure = expectCode(error, 'cannotConnectToHost');
    expect(failure.message).toContain(path);
  });

  test('a socket file nobody listens on (refused) is cannotConnectToHost', async () => {
    const path = join(dir, 'stale.sock');
    // Bound, never listening: connect() is refused (ECONNREFUSED), as after a server crashed.
    execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', path]);
    const { error } = await settle(session.connect({ path }));
    expectCode(error, 'cannotConnectToHost');
    expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
  });

  test('with waitsForConnectivity, a client that starts before its server connects once the socket appears', async () => {
    const path = join(dir, 'later.sock');
    const waiting = new Session({ waitsForConnectivity: true, timeoutIntervalForResource: 10_000 });
    const task = waiting.streamTask({ path });
    const waited = new Promise((resolve) => task.addEventListener('waitingforconnectivity', resolve, { once: true }));
    task.resume();
    await waited;
    const server = await listenOnPath(net.createServer(echo), 'later.sock');
    try {
      await task.opened;
      await task.write('late');
      expect(text((await task.readData({ minLength: 4 })).data)).toBe('LATE');
    } finally {
      await waiting[Symbol.asyncDispose]();
      await server.close();
    }
  });

  test('bad targets are a TypeError naming the argument', () => {
    expect(() => session.streamTask({ path: '' })).toThrow(/`options.path` to be the non-empty path of a Unix domain socket/);
    expect(() => session.streamTask({ path: 7 } as unknown as { path: string })).toThrow(TypeError);
    expect(() => session.streamTask({ path: '/tmp/x.sock', host: 'localhost' } as unknown as { path: string }))
      .toThrow(/one of host and port, a service or a path, got host and path/);
    expect(() => session.streamTask({ path: '/tmp/x.sock', port: 1 } as unknown as { path: string })).toThrow(/a path and no port/);
  });
});
