/** Small client helpers the benchmarks share: raw sockets, tasks, and the Python asyncio peer. */
import { execFile } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Session, type StreamTask } from 'streamtask';
import type { Sample, Server } from './harness.js';

/** A raw net.Socket, connected, with TCP_NODELAY as our tasks have it. */
export async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
  await connected(socket, 'connect');
  return socket;
}

/**
 * The one listener every raw socket of the benchmarks shares, as a client's shared handlers would
 * be: for errors (a socket must listen, an unheard 'error' ends the process) and, on a socket
 * kept as a client keeps it, for its other events.
 */
function ignore(): void {}

/**
 * Waits for `event` and leaves the socket as a user's own code would: no listener or promise of
 * the wait left on it (they would count as the raw socket's memory in many-tasks), one shared
 * 'error' listener.
 */
function connected(socket: net.Socket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onEvent = (): void => {
      socket.off('error', onError);
      socket.on('error', ignore);
      resolve();
    };
    const onError = (error: Error): void => {
      socket.off(event, onEvent);
      reject(error);
    };
    socket.once(event, onEvent);
    socket.once('error', onError);
  });
}

/** The bench server's command to echo `payload` back, with the payload. */
export function echoRequest(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from('ECHO\n'), payload]);
}

/** Destroys every socket and waits until each has closed. */
export async function destroyAll(sockets: net.Socket[]): Promise<void> {
  await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve).destroy())));
}

/** Asks the bench server to echo `payload`, and waits until all of it is back ('data' events). */
export function echoRoundTrip(socket: net.Socket, payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    let pending = payload.length;
    const onData = (chunk: Buffer): void => {
      pending -= chunk.length;
      if (pending > 0) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.write(echoRequest(payload));
  });
}

/**
 * Gives a raw socket what a protocol client keeps on it while it is open: listeners for data, end
 * of stream and close ('error' is rawSocket's), and its addresses read once (for logs, or an
 * `opened` of its own).
 */
export function keepAsAClient(socket: net.Socket): void {
  for (const event of ['data', 'end', 'close']) socket.on(event, ignore);
  void socket.localAddress;
  void socket.remoteAddress;
}

/** A raw tls.TLSSocket to the bench server, verifying its certificate as our tasks do. */
export async function rawTlsSocket(server: Server): Promise<tls.TLSSocket> {
  const socket = tls.connect({ port: server.tlsPort, host: '127.0.0.1', servername: 'localhost', ca: server.ca });
  await connected(socket, 'secureConnect');
  socket.setNoDelay(true);
  return socket;
}

/**
 * A raw tls.TLSSocket made over an already connected net.Socket (`tls.connect({ socket })`), as a
 * task does (TCP first, then TLS: the same path serves STARTTLS and proxies).
 */
export async function rawTlsOverTcp(server: Server): Promise<tls.TLSSocket> {
  const plain = await rawSocket(server.tlsPort);
  const socket = tls.connect({ socket: plain, servername: 'localhost', ca: server.ca });
  await connected(socket, 'secureConnect');
  return socket;
}

/** Runs `use` with a connected task (TLS to 'localhost' when asked), then disposes of its session. */
export async function withTask<T>(server: Server, secure: boolean, use: (task: StreamTask) => Promise<T>): Promise<T> {
  const session = new Session();
  try {
    const task = secure
      ? await session.connect('localhost', server.tlsPort, { tls: { ca: server.ca } })
      : await session.connect('127.0.0.1', server.tcpPort);
    return await use(task);
  } finally {
    await session[Symbol.asyncDispose]();
  }
}

/** Runs bench/asyncio_peer.py with the given workload; it measures itself and prints JSON. */
export function asyncio(args: string[]): Promise<Sample> {
  const script = fileURLToPath(new URL('../../bench/asyncio_peer.py', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile('python3', [script, ...args], { maxBuffer: 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(error);
      resolve(JSON.parse(stdout) as Sample);
    });
  });
}

/** Resolves with everything `socket` receives until it ends. */
export function untilEnd(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

/**
 * The floor for any reader that awaits a promise per chunk: sends `command`, then reads until the
 * end of stream with a queue of chunks and one waiting resolver (no checks, no time limits, no
 * cancellation), one awaited promise per chunk. Resolves with the bytes read.
 */
export async function readAwaitingEachChunk(socket: net.Socket, command: string): Promise<number> {
  const queue: Buffer[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  const poke = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  socket.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    poke();
  });
  socket.on('end', () => {
    ended = true;
    poke();
  });
  socket.write(command);
  let total = 0;
  for (;;) {
    if (queue.length === 0) {
      if (ended) return total;
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    total += (await Promise.resolve(queue.shift()!)).length;
  }
}
