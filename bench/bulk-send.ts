/** Bulk send: each variant sends a large amount in 64 KiB writes, honouring backpressure; the server answers OK at the end. */
import { once } from 'node:events';
import PromiseSocket from 'promise-socket';
import { asyncio, GiB, rawSocket, untilEnd, withTask } from './clients.js';
import { timed, type Benchmark } from './harness.js';


const SIZE = Number(process.env.BENCH_BYTES ?? GiB);
const CHUNK = Buffer.alloc(65536, 0x61);
const command = `SINK ${SIZE}\n`;

export const bulkSend: Benchmark = {
  name: 'bulk-send',
  description: `send ${SIZE / GiB} GiB over loopback in 64 KiB writes`,
  cpu: { label: 'µs/64 KiB', per: 65536 },
  unit: { label: 'GiB/s', scale: GiB },
  rounds: 5,
  baseline: 'net.Socket write + drain',
  targets: { 'await write 64 KiB loop': 0.95, 'captureStreams writable': 0.9 },
  variants: [
    {
      name: 'net.Socket write + drain',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        const reply = untilEnd(socket);
        return timed(async () => {
          socket.write(command);
          for (let sent = 0; sent < SIZE; sent += CHUNK.length) {
            if (!socket.write(CHUNK)) await once(socket, 'drain');
          }
          socket.end();
          await reply;
          socket.destroy();
          return SIZE;
        });
      },
    },
    {
      name: 'await write 64 KiB loop',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        for (let sent = 0; sent < SIZE; sent += CHUNK.length) await task.write(CHUNK);
        await task.closeWrite();
        await task.readLine();
        return SIZE;
      })),
    },
    {
      name: 'captureStreams writable',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        const { readable, writable } = await task.captureStreams();
        const writer = writable.getWriter();
        for (let sent = 0; sent < SIZE; sent += CHUNK.length) {
          await writer.ready;
          void writer.write(CHUNK);
        }
        await writer.close();
        for await (const chunk of readable) void chunk;
        return SIZE;
      })),
    },
    {
      name: 'promise-socket write',
      run: async (server) => {
        const socket = new PromiseSocket(await rawSocket(server.tcpPort));
        return timed(async () => {
          await socket.write(command);
          for (let sent = 0; sent < SIZE; sent += CHUNK.length) await socket.write(CHUNK);
          await socket.end();
          await socket.readAll();
          socket.destroy();
          return SIZE;
        });
      },
    },
    { name: 'python asyncio write + drain', run: (server) => asyncio(['send', String(server.tcpPort), String(SIZE)]) },
  ],
};
