/**
 * A workload to count instructions on, under valgrind (bench/count-instructions.sh): the CPU a
 * variant spends per unit, deterministic to a few percent where wall-clock ratios on a shared VM
 * move by ten. Not part of `npm run bench`.
 *
 *   node build/bench/instructions.js WORKLOAD VARIANT COUNT
 *
 * Workloads:
 * - `waiting-read`: one 16 KiB chunk per turn of the event loop, emitted on the socket as Node
 *   emits a decrypted TLS record, to a reader that awaits each (the pattern of TLS receive,
 *   without the cipher and the network). Variants: `task` (readData), `iterator` (for await),
 *   `hand-written` (a queue and one waiting resolver on a net.Socket).
 * - `ping-pong`: 64-byte round trips with the bench server. Variants: `task`, `promise-socket`,
 *   `raw` ('data' events).
 * - `awaited-writes`: 100-byte writes (PIECE_BYTES=n for others) to the bench server, each
 *   awaited (a protocol that sends and waits for the kernel before going on). Variants: `task`,
 *   `captured-writable` (a writer of captureStreams()' writable), `promise-socket`, `raw`
 *   (socket.write with a callback, awaited through a promise).
 * - `tls-ping-pong`: 64-byte round trips over TLS. Variants: `task` (write + readData), `hand-written`
 *   (a promise per chunk over a TLS socket made on a connected net.Socket, as a task makes it).
 * - `tls-receive`: COUNT TLS records of 16 KiB from the bench server, the real thing (cipher and
 *   all). Variants: `task` (readData), `hand-written` (over a TLS socket made on a connected
 *   net.Socket, as a task makes it), `raw` ('data' events on a tls.TLSSocket), and the two made
 *   the other way: `hand-written-direct` (on a tls.TLSSocket from tls.connect), `raw-over-tcp`.
 */
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import PromiseSocket from 'promise-socket';
import { Session } from 'streamtask';
import { rawSocket, rawTlsOverTcp, rawTlsSocket, readAwaitingEachChunk } from './clients.js';
import { startServer } from './harness.js';
import { handWrittenRoundTrips } from './ping-pong.js';

const [workload, variant, countArgument] = process.argv.slice(2);
const count = Number(countArgument ?? 10_000);
const CHUNK = Buffer.alloc(16 * 1024, 0x61);
const MESSAGE = Buffer.alloc(64, 0x6d);

/** The next client socket Node creates (a documented diagnostics channel, Node ≥ 16.18). */
function nextClientSocket(): Promise<net.Socket> {
  const channel = diagnostics.channel('net.client.socket');
  return new Promise((resolve) => {
    const onSocket = (message: unknown): void => {
      channel.unsubscribe(onSocket);
      resolve((message as { socket: net.Socket }).socket);
    };
    channel.subscribe(onSocket);
  });
}

async function waitingRead(): Promise<void> {
  const server = net.createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const session = new Session();
  const socketMade = nextClientSocket();
  let read: () => Promise<number>;
  let close: () => void;
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
    read = async () => {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return (await Promise.resolve(queue.shift()!)).length;
    };
    close = () => socket.destroy();
  } else {
    const task = await session.connect('127.0.0.1', port);
    if (variant === 'iterator') {
      const chunks = task[Symbol.asyncIterator]();
      read = async () => (await chunks.next()).value!.length;
    } else {
      read = async () => (await task.readData({ maxLength: 65_536 })).data.length;
    }
    close = () => task.cancel();
  }
  const socket = await socketMade;
  // Nothing real arrives; emit() runs the socket's listeners as a record would.
  socket.pause();
  let received = 0;
  const reader = (async () => {
    for (let i = 0; i < count; i++) received += await read();
  })();
  for (let i = 0; i < count; i++) {
    socket.emit('data', CHUNK);
    await nextTurn();
  }
  await reader;
  if (received !== count * CHUNK.length) throw new Error(`received ${received} bytes`);
  close();
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
    if (variant === 'hand-written') {
      const socket = await rawTlsOverTcp(server);
      socket.write('ECHO\n');
      await handWrittenRoundTrips(socket, count);
      socket.destroy();
      return;
    }
    const session = new Session();
    const task = await session.connect('localhost', server.tlsPort, { tls: { ca: server.ca } });
    await task.write('ECHO\n');
    for (let i = 0; i < count; i++) {
      await task.write(MESSAGE);
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
    if (variant === 'task') {
      const session = new Session();
      const task = await session.connect('localhost', server.tlsPort, { tls: { ca: server.ca } });
      await task.write(`SOURCE ${bytes}\n`);
      for (;;) {
        const { data, atEOF } = await task.readData({ maxLength: 65_536 });
        received += data.length;
        if (atEOF) break;
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

const workloads: Record<string, { variants: string[]; run: () => Promise<void> }> = {
  'waiting-read': { variants: ['task', 'iterator', 'hand-written'], run: waitingRead },
  'ping-pong': { variants: ['task', 'promise-socket', 'raw'], run: pingPong },
  'tls-ping-pong': { variants: ['task', 'hand-written'], run: tlsPingPong },
  'awaited-writes': { variants: ['task', 'captured-writable', 'promise-socket', 'raw'], run: awaitedWrites },
  'tls-receive': { variants: ['task', 'hand-written', 'hand-written-direct', 'raw', 'raw-over-tcp'], run: tlsReceive },
};
const chosen = workloads[workload ?? ''];
if (chosen === undefined || !chosen.variants.includes(variant ?? '') || !(count > 0)) {
  console.error(`usage: instructions.js WORKLOAD VARIANT COUNT\n${Object.entries(workloads)
    .map(([name, w]) => `  ${name}: ${w.variants.join(' | ')}`).join('\n')}`);
  process.exit(2);
}
await chosen.run();
