/** Ping-pong: a 64-byte request, the same 64 bytes back, many round trips in a row (latency per operation). */
import type net from 'node:net';
import PromiseSocket from 'promise-socket';
import type { StreamTask } from 'streamtask';
import { asyncio, rawSocket, rawTlsSocket, withTask } from './clients.js';
import { timed, type Benchmark, type Server, type Variant } from './harness.js';

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

function variants(secure: boolean, count: number): Variant[] {
  const raw = (server: Server): Promise<net.Socket> => (secure ? rawTlsSocket(server) : rawSocket(server.tcpPort));
  const kind = secure ? 'tls.TLSSocket' : 'net.Socket';
  const list: Variant[] = [
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
};
