/** Bulk receive: the server sends 1 GiB; each variant reads it all in 64 KiB reads where it can choose. */
import { Duplex } from 'node:stream';
import PromiseSocket from 'promise-socket';
import { Session } from 'streamtask';
import { asyncio, GiB, rawSocket } from './clients.js';
import { timed, type Benchmark, type Server } from './harness.js';

const SIZE = Number(process.env.BENCH_BYTES ?? 2 * GiB);
const command = `SOURCE ${SIZE}\n`;

async function withTask<T>(server: Server, tls: boolean, use: (task: Awaited<ReturnType<Session['connect']>>) => Promise<T>): Promise<T> {
  const session = new Session();
  try {
    const task = tls
      ? await session.connect('localhost', server.tlsPort, { tls: { ca: server.ca } })
      : await session.connect('127.0.0.1', server.tcpPort);
    return await use(task);
  } finally {
    await session[Symbol.asyncDispose]();
  }
}

export const bulkReceive: Benchmark = {
  name: 'bulk-receive',
  description: 'receive 2 GiB over loopback',
  unit: { label: 'GiB/s', scale: GiB },
  rounds: 7,
  baseline: 'net.Socket data events',
  targets: { 'readData 64 KiB loop': 0.95, 'for await (task)': 0.95, 'captureStreams readable': 0.9 },
  ahead: { 'captureStreams readable': ['Duplex.toWeb readable'] },
  variants: [
    {
      name: 'net.Socket data events',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        return timed(() => new Promise((resolve) => {
          let total = 0;
          socket.on('data', (chunk: Buffer) => (total += chunk.length));
          socket.on('end', () => {
            socket.destroy();
            resolve(total);
          });
          socket.write(command);
        }));
      },
    },
    {
      name: 'for await (net.Socket)',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        return timed(async () => {
          socket.write(command);
          let total = 0;
          for await (const chunk of socket) total += (chunk as Buffer).length;
          socket.destroy();
          return total;
        });
      },
    },
    {
      name: 'readData 64 KiB loop',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        let total = 0;
        for (;;) {
          const { data, atEOF } = await task.readData({ maxLength: 65536 });
          total += data.length;
          if (atEOF) return total;
        }
      })),
    },
    {
      name: 'for await (task)',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        let total = 0;
        for await (const chunk of task) total += chunk.length;
        return total;
      })),
    },
    {
      name: 'captureStreams readable',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        const { readable, writable } = await task.captureStreams();
        let total = 0;
        for await (const chunk of readable) total += chunk.length;
        await writable.close();
        return total;
      })),
    },
    {
      name: 'Duplex.toWeb readable',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        return timed(async () => {
          // Node closes a Duplex's web readable only once both sides finished, so end ours now.
          socket.end(command);
          const { readable } = Duplex.toWeb(socket);
          let total = 0;
          for await (const chunk of readable) total += (chunk as Uint8Array).length;
          socket.destroy();
          return total;
        });
      },
    },
    {
      name: 'promise-socket read(64 KiB)',
      run: async (server) => {
        const socket = new PromiseSocket(await rawSocket(server.tcpPort));
        return timed(async () => {
          await socket.write(command);
          let total = 0;
          for (;;) {
            const chunk = await socket.read(65536);
            if (chunk === undefined) break;
            total += chunk.length;
          }
          socket.destroy();
          return total;
        });
      },
    },
    { name: 'python asyncio read(64 KiB)', run: (server) => asyncio(['receive', String(server.tcpPort), String(SIZE)]) },
  ],
};
