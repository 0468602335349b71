/**
 * A workload to count instructions on, under valgrind (bench/count-instructions.sh): the CPU a
 * variant spends per unit, deterministic to a few percent where wall-clock ratios on a shared VM
 * move by ten. Not part of `npm run bench`.
 *
 *   node build/bench/instructions.js WORKLOAD VARIANT COUNT
 *
 * Workloads:
 * - `waiting-read`: one byte out, one 16 KiB chunk back from a local server, read by a reader that
 *   awaits it (the read always waits for the kernel). Variants: `task` (readData of exactly 16
 *   KiB), `iterator` (for await), `hand-written` (a queue and one waiting resolver on a
 *   net.Socket). Since 12-07: plain sockets read through onread, so 'data' emitted by hand (how
 *   this workload fed chunks before) no longer reaches a task.
 * - `ping-pong`: 64-byte round trips with the bench server. Variants: `task`, `promise-socket`,
 *   `raw` ('data' events).
 * - `awaited-writes`: 100-byte writes (PIECE_BYTES=n for others) to the bench server, each
 *   awaited (a protocol that sends and waits for the kernel before going on). Variants: `task`,
 *   `captured-writable` (a writer of captureStreams()' writable), `promise-socket`, `raw`
 *   (socket.write with a callback, awaited through a promise).
 * - `connect`: COUNT tasks connected, cancelled and closed one after another (a task's whole life).
 *   Variants: `task`, `task-traced` (every diagnostics channel subscribed, with a no-op listener).
 * - `tls-ping-pong`: 64-byte round trips over TLS. Variants: `task` (await write, then readData),
 *   `task-unawaited` (write not awaited, as the hand-written reader writes), `hand-written` (a
 *   promise per chunk over a TLS socket made on a connected net.Socket, as a task makes it).
 * - `tls-receive`: COUNT TLS records of 16 KiB from the bench server, the real thing (cipher and
 *   all). Variants: `task` (readData), `iterator` (for await), `hand-written` (over a TLS socket made on a connected
 *   net.Socket, as a task makes it), `raw` ('data' events on a tls.TLSSocket), and the two made
 *   the other way: `hand-written-direct` (on a tls.TLSSocket from tls.connect), `raw-over-tcp`.
 * - `lines`: COUNT pipelined 9-byte Redis replies, read one line at a time. Variants: `task`
 *   (for await of lines()), `readline` (node:readline over a net.Socket).
 */
import { once } from 'node:events';
import net from 'node:net';
import readline from 'node:readline';
import tls from 'node:tls';
import PromiseSocket from 'promise-socket';
import diagnostics from 'node:diagnostics_channel';
import { CHANNELS, Session } from 'streamtask';
import { rawSocket, rawTlsOverTcp, rawTlsSocket, readAwaitingEachChunk } from './clients.js';
import { startServer } from './harness.js';
import { handWrittenRoundTrips } from './ping-pong.js';

const [workload, variant, countArgument] = process.argv.slice(2);
const count = Number(countArgument ?? 10_000);
const CHUNK = Buffer.alloc(16 * 1024, 0x61);
const MESSAGE = Buffer.alloc(64, 0x6d);
const GO = Buffer.from('g');

async function waitingRead(): Promise<void> {
  // Each byte the client sends, the server answers with one 16 KiB chunk: the read always waits.
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => {
      for (let i = 0; i < data.length; i++) socket.write(CHUNK);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const session = new Session();
  let received = 0;
  if (variant === 'hand-written') {
    const socket = await rawSocket(port);
    const queue: Buffer[] = [];
    let wake: (() => void) | null = null;
    socket.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      const waiting = wake;
      wake = null;
      waiting?.();
    });
    for (let i = 0; i < count; i++) {
      socket.write(GO);
      for (let got = 0; got < CHUNK.length;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        got += (await Promise.resolve(queue.shift()!)).length;
      }
      received += CHUNK.length;
    }
    socket.destroy();
  } else {
    const task = await session.connect('127.0.0.1', port);
    const chunks = task[Symbol.asyncIterator]();
    for (let i = 0; i < count; i++) {
      void task.write(GO);
      if (variant === 'iterator') {
        for (let got = 0; got < CHUNK.length;) got += (await chunks.next()).value!.length;
      } else {
        await task.readData({ minLength: CHUNK.length, maxLength: CHUNK.length });
      }
      received += CHUNK.length;
    }
    task.cancel();
  }
  if (received !== count * CHUNK.length) throw new Error(`received ${received} bytes`);
  server.close();
  await session[Symbol.asyncDispose]();
}

async function pingPong(): Promise<void> {
  const server = await startServer();
  try {
    if (variant === 'raw') {
      const socket = await rawSocket(server.tcpPort);
      socket.write('ECHO\n');
      await new Promise<void>((resolve) => {
        let done = 0;
        let pending = MESSAGE.length;
        socket.on('data', (chunk: Buffer) => {
          pending -= chunk.length;
          if (pending > 0) return;
          pending = MESSAGE.length;
          if (++done === count) resolve();
          else socket.write(MESSAGE);
        });
        socket.write(MESSAGE);
      });
      socket.destroy();
    } else if (variant === 'promise-socket') {
      const socket = new PromiseSocket(await rawSocket(server.tcpPort));
      await socket.write('ECHO\n');
      for (let i = 0; i < count; i++) {
        await socket.write(MESSAGE);
        for (let got = 0; got < MESSAGE.length;) got += ((await socket.read(MESSAGE.length - got)) as Buffer).length;
      }
      socket.destroy();
    } else {
      const session = new Session();
      const task = await session.connect('127.0.0.1', server.tcpPort);
      await task.write('ECHO\n');
      for (let i = 0; i < count; i++) {
        await task.write(MESSAGE);
        await task.readData({ minLength: MESSAGE.length });
      }
      await session[Symbol.asyncDispose]();
    }
  } finally {
    await server.stop();
  }
}

async function tlsPingPong(): Promise<void> {
  const server = await startServer();
  try {
    if (variant === 'hand-written' || variant === 'hand-written-direct') {
      const socket = variant === 'hand-written' ? await rawTlsOverTcp(server) : await rawTlsSocket(server);
      socket.write('ECHO\n');
      await handWrittenRoundTrips(socket, count);
      socket.destroy();
      return;
    }
    if (variant === 'onread-direct') {
      // The floor for TLS: Node's onread on a TLS socket tls.connect made itself (it gives onread
      // to no other), a promise per round trip, no 'data' events.
      let got = 0;
      let wake: (() => void) | null = null;
      const socket = tls.connect({
        port: server.tlsPort, host: '127.0.0.1', servername: 'localhost', ca: server.ca,
        onread: { buffer: Buffer.alloc(64 * 1024), callback: (n: number) => {
          got += n;
          const resolve = wake;
          wake = null;
          resolve?.();
          return true;
        } },
      } as tls.ConnectionOptions);
      await once(socket, 'secureConnect');
      socket.setNoDelay(true);
      socket.write('ECHO\n');
      for (let i = 0; i < count; i++) {
        socket.write(MESSAGE);
        while (got < MESSAGE.length) await new Promise<void>((resolve) => (wake = resolve));
        got -= MESSAGE.length;
      }
      socket.destroy();
      return;
    }
    const session = new Session();
    const task = await session.connect('localhost', server.tlsPort, { tls: { ca: server.ca } });
    await task.write('ECHO\n');
    // 'task-unawaited' writes as the hand-written reader does: the write is not awaited (its
    // failure would reject the next read too); 'task' awaits it, which over TLS waits for Node's
    // write callback, always a later tick.
    const awaitWrites = variant === 'task';
    for (let i = 0; i < count; i++) {
      if (awaitWrites) await task.write(MESSAGE);
      else void task.write(MESSAGE);
      await task.readData({ minLength: MESSAGE.length, maxLength: MESSAGE.length });
    }
    await session[Symbol.asyncDispose]();
  } finally {
    await server.stop();
  }
}

async function awaitedWrites(): Promise<void> {
  const server = await startServer();
  const piece = Buffer.alloc(Number(process.env.PIECE_BYTES ?? 100), 0x77);
  const command = `SINK ${count * piece.length}\n`;
  try {
    if (variant === 'task') {
      const session = new Session();
      const task = await session.connect('127.0.0.1', server.tcpPort);
      await task.write(command);
      for (let i = 0; i < count; i++) await task.write(piece);
      await task.readLine();
      await session[Symbol.asyncDispose]();
      return;
    }
    if (variant === 'captured-writable') {
      const session = new Session();
      const task = await session.connect('127.0.0.1', server.tcpPort);
      const { readable, writable } = await task.captureStreams();
      const writer = writable.getWriter();
      await writer.write(Buffer.from(command));
      for (let i = 0; i < count; i++) await writer.write(piece);
      const reader = readable.getReader();
      await reader.read();
      await reader.cancel();
      await writer.close();
      await session[Symbol.asyncDispose]();
      return;
    }
    const socket = await rawSocket(server.tcpPort);
    const reply = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    if (variant === 'raw') {
      socket.write(command);
      for (let i = 0; i < count; i++) await new Promise<void>((resolve, reject) => socket.write(piece, (error) => (error ? reject(error) : resolve())));
    } else if (variant === 'raw-drain') {
      // As bench/bulk-send.ts's baseline writes: on, until write() says to wait for 'drain'.
      socket.write(command);
      for (let i = 0; i < count; i++) if (!socket.write(piece)) await once(socket, 'drain');
    } else {
      const wrapped = new PromiseSocket(socket);
      await wrapped.write(command);
      for (let i = 0; i < count; i++) await wrapped.write(piece);
    }
    await reply;
    socket.destroy();
  } finally {
    await server.stop();
  }
}

async function tlsReceive(): Promise<void> {
  const server = await startServer();
  const bytes = count * CHUNK.length;
  let received = 0;
  try {
    if (variant === 'task' || variant === 'iterator') {
      const session = new Session();
      const task = await session.connect('localhost', server.tlsPort, { tls: { ca: server.ca } });
      await task.write(`SOURCE ${bytes}\n`);
      if (variant === 'iterator') {
        for await (const chunk of task) received += chunk.length;
      } else {
        for (;;) {
          const { data, atEOF } = await task.readData({ maxLength: 65_536 });
          received += data.length;
          if (atEOF) break;
        }
      }
      await session[Symbol.asyncDispose]();
    } else if (variant === 'raw' || variant === 'raw-over-tcp') {
      const socket = variant === 'raw' ? await rawTlsSocket(server) : await rawTlsOverTcp(server);
      received = await new Promise<number>((resolve) => {
        let total = 0;
        socket.on('data', (chunk: Buffer) => (total += chunk.length));
        socket.on('end', () => resolve(total));
        socket.write(`SOURCE ${bytes}\n`);
      });
      socket.destroy();
    } else {
      const socket = variant === 'hand-written' ? await rawTlsOverTcp(server) : await rawTlsSocket(server);
      received = await readAwaitingEachChunk(socket, `SOURCE ${bytes}\n`);
      socket.destroy();
    }
  } finally {
    await server.stop();
  }
  if (received !== bytes) throw new Error(`received ${received} of ${bytes} bytes`);
}

async function readLines(): Promise<void> {
  const server = await startServer();
  let got = 0;
  try {
    if (variant === 'task') {
      const session = new Session();
      const task = await session.connect('127.0.0.1', server.tcpPort);
      await task.write(`LINES ${count}\n`);
      for await (const line of task.lines()) got += line.length > 0 ? 1 : 0;
      await session[Symbol.asyncDispose]();
    } else {
      const socket = await rawSocket(server.tcpPort);
      socket.write(`LINES ${count}\n`);
      for await (const line of readline.createInterface({ input: socket, crlfDelay: Infinity })) got += line.length > 0 ? 1 : 0;
      socket.destroy();
    }
  } finally {
    await server.stop();
  }
  if (got !== count) throw new Error(`read ${got} of ${count} lines`);
}

async function connectAndClose(): Promise<void> {
  const server = await startServer();
  const noop = (): void => {};
  if (variant === 'task-traced') for (const name of Object.values(CHANNELS)) diagnostics.subscribe(name, noop);
  try {
    const session = new Session();
    for (let i = 0; i < count; i++) {
      const task = await session.connect('127.0.0.1', server.tcpPort);
      task.cancel();
      await task.closed.catch(noop);
    }
    await session[Symbol.asyncDispose]();
  } finally {
    await server.stop();
  }
}

const workloads: Record<string, { variants: string[]; run: () => Promise<void> }> = {
  'connect': { variants: ['task', 'task-traced'], run: connectAndClose },
  'waiting-read': { variants: ['task', 'iterator', 'hand-written'], run: waitingRead },
  'ping-pong': { variants: ['task', 'promise-socket', 'raw'], run: pingPong },
  'tls-ping-pong': { variants: ['task', 'task-unawaited', 'hand-written', 'hand-written-direct', 'onread-direct'], run: tlsPingPong },
  'awaited-writes': { variants: ['task', 'captured-writable', 'promise-socket', 'raw', 'raw-drain'], run: awaitedWrites },
  'lines': { variants: ['task', 'readline'], run: readLines },
  'tls-receive': { variants: ['task', 'iterator', 'hand-written', 'hand-written-direct', 'raw', 'raw-over-tcp'], run: tlsReceive },
};
const chosen = workloads[workload ?? ''];
if (chosen === undefined || !chosen.variants.includes(variant ?? '') || !(count > 0)) {
  console.error(`usage: instructions.js WORKLOAD VARIANT COUNT\n${Object.entries(workloads)
    .map(([name, w]) => `  ${name}: ${w.variants.join(' | ')}`).join('\n')}`);
  process.exit(2);
}
await chosen.run();
