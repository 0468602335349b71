/** Ping-pong: a 64-byte request, the same 64 bytes back, many round trips in a row (latency per operation). */
import type net from 'node:net';
import PromiseSocket from 'promise-socket';
import type { StreamTask } from 'streamtask';
import { asyncio, rawSocket, rawTlsSocket, withTask } from './clients.js';
import { cpuAgainst, timed, type Benchmark, type Check, type Result, type Server, type Variant } from './harness.js';

const SIZE = 64;
const MESSAGE = Buffer.alloc(SIZE, 0x70);

/** Round trips over a raw socket, with a 'data' listener counting bytes back. */
function rawRoundTrips(socket: net.Socket, count: number): Promise<number> {
  return new Promise((resolve) => {
    let done = 0;
    let pending = SIZE;
    socket.on('data', (chunk: Buffer) => {
      pending -= chunk.length;
      if (pending > 0) return;
      pending = SIZE;
      if (++done === count) resolve(done);
      else socket.write(MESSAGE);
    });
    socket.write(MESSAGE);
  });
}

/**
 * The floor for promise-based round trips on the same socket: a write (not awaited: the socket's
 * queue is empty here), then one awaited promise per chunk until the answer is whole, with a queue
 * of chunks and one waiting resolver (no checks, no time limits, no cancellation).
 */
export async function handWrittenRoundTrips(socket: net.Socket, count: number): Promise<number> {
  const queue: Buffer[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    const resolve = wake;
    wake = null;
    resolve?.();
  });
  for (let i = 0; i < count; i++) {
    socket.write(MESSAGE);
    for (let got = 0; got < SIZE;) {
      if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      else got += queue.shift()!.length;
    }
  }
  return count;
}

/** Round trips over a task: write the message, then `read` the answer. */
function taskVariant(name: string, secure: boolean, count: number, read: (task: StreamTask) => Promise<unknown>): Variant {
  return {
    name,
    run: (server) => withTask(server, secure, async (task) => {
      await task.write('ECHO\n');
      return timed(async () => {
        for (let i = 0; i < count; i++) {
          await task.write(MESSAGE);
          await read(task);
        }
        return count;
      });
    }),
  };
}

const HAND_WRITTEN = 'promise per chunk, hand-written';

function variants(secure: boolean, count: number): Variant[] {
  const raw = (server: Server): Promise<net.Socket> => (secure ? rawTlsSocket(server) : rawSocket(server.tcpPort));
  // The hand-written reader's socket is made as a task makes its own: for TLS from the first
  // byte, by tls.connect (the task then reads it through onread; the reader, by 'data').
  const asATaskMakesIt = (server: Server): Promise<net.Socket> => (secure ? rawTlsSocket(server) : rawSocket(server.tcpPort));
  const kind = secure ? 'tls.TLSSocket' : 'net.Socket';
  const list: Variant[] = [
    {
      name: HAND_WRITTEN,
      run: async (server) => {
        const socket = await asATaskMakesIt(server);
        socket.write('ECHO\n');
        const sample = await timed(() => handWrittenRoundTrips(socket, count));
        socket.destroy();
        return sample;
      },
    },
    {
      name: `${kind} write + data`,
      run: async (server) => {
        const socket = await raw(server);
        socket.write('ECHO\n');
        const sample = await timed(() => rawRoundTrips(socket, count));
        socket.destroy();
        return sample;
      },
    },
    taskVariant('write + readData(min 64)', secure, count, (task) => task.readData({ minLength: SIZE, maxLength: SIZE })),
    taskVariant('write + readExactly(64)', secure, count, (task) => task.readExactly(SIZE)),
  ];
  if (secure) return list;
  return [
    ...list,
    {
      name: 'promise-socket write + read',
      run: async (server) => {
        const socket = new PromiseSocket(await rawSocket(server.tcpPort));
        await socket.write('ECHO\n');
        const sample = await timed(async () => {
          for (let i = 0; i < count; i++) {
            await socket.write(MESSAGE);
            for (let got = 0; got < SIZE;) got += (await socket.read(SIZE - got))!.length;
          }
          return count;
        });
        socket.destroy();
        return sample;
      },
    },
    { name: 'python asyncio write + readexactly', run: (server) => asyncio(['pingpong', String(server.tcpPort), String(count), String(SIZE)]) },
  ];
}

/** Our reads by client CPU against the hand-written promise reader's: at most 5 % dearer. */
function nearHandWritten(results: Result[]): Check[] {
  const floor = results.find((r) => r.variant === HAND_WRITTEN)!;
  return ['write + readData(min 64)', 'write + readExactly(64)'].map((name) => {
    const value = cpuAgainst(results.find((r) => r.variant === name)!, floor);
    return { what: `${name}: client CPU ÷ the hand-written reader's`, value, target: '≤ 1.05', met: value <= 1.05 };
  });
}

const count = Number(process.env.BENCH_ROUND_TRIPS ?? 50_000);
export const pingPong: Benchmark = {
  name: 'ping-pong',
  description: `${count} round trips of 64 bytes`,
  cpu: { label: 'µs/round trip', per: 1 },
  unit: { label: 'k round trips/s', scale: 1000 },
  rounds: 5,
  baseline: 'net.Socket write + data',
  targets: { 'write + readData(min 64)': 0.85 },
  ahead: { 'write + readData(min 64)': ['promise-socket write + read', 'python asyncio write + readexactly'] },
  variants: variants(false, count),
  checks: nearHandWritten,
};

const tlsCount = Math.round(count / 2);
export const tlsPingPong: Benchmark = {
  name: 'tls-ping-pong',
  description: `${tlsCount} round trips of 64 bytes over TLS`,
  cpu: { label: 'µs/round trip', per: 1 },
  unit: { label: 'k round trips/s', scale: 1000 },
  rounds: 5,
  baseline: 'tls.TLSSocket write + data',
  targets: { 'write + readData(min 64)': 0.85 },
  variants: variants(true, tlsCount),
  checks: nearHandWritten,
};
