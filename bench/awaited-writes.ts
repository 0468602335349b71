/**
 * Awaited small writes: each 100-byte write awaited before the next (a protocol that sends and
 * waits for the kernel before going on), through the task and through its captured writable.
 */
import PromiseSocket from 'promise-socket';
import { rawSocket, untilEnd, withTask } from './clients.js';
import { cpuAgainst, timed, type Benchmark, type Result } from './harness.js';

const COUNT = Number(process.env.BENCH_AWAITED_WRITES ?? 200_000);
const PIECE = Buffer.alloc(100, 0x77);
const command = `SINK ${COUNT * PIECE.length}\n`;

export const awaitedWrites: Benchmark = {
  name: 'awaited-writes',
  description: `${COUNT} writes of ${PIECE.length} bytes, each awaited`,
  cpu: { label: 'µs/write', per: 1 },
  unit: { label: 'k writes/s', scale: 1000 },
  rounds: 5,
  baseline: 'net.Socket write(cb), awaited',
  targets: {},
  ahead: { 'await task.write': ['promise-socket write'] },
  variants: [
    {
      name: 'net.Socket write(cb), awaited',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        const reply = untilEnd(socket);
        return timed(async () => {
          socket.write(command);
          for (let i = 0; i < COUNT; i++) {
            await new Promise<void>((resolve, reject) => socket.write(PIECE, (error) => (error ? reject(error) : resolve())));
          }
          socket.end();
          await reply;
          socket.destroy();
          return COUNT;
        });
      },
    },
    {
      name: 'await task.write',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        for (let i = 0; i < COUNT; i++) await task.write(PIECE);
        await task.closeWrite();
        await task.readLine();
        return COUNT;
      })),
    },
    {
      name: 'await writer.write (captureStreams)',
      run: (server) => withTask(server, false, async (task) => {
        const { readable, writable } = await task.captureStreams();
        const writer = writable.getWriter();
        const reader = readable.getReader();
        return timed(async () => {
          await writer.write(Buffer.from(command));
          for (let i = 0; i < COUNT; i++) await writer.write(PIECE);
          await writer.close();
          await reader.read();
          await reader.cancel();
          return COUNT;
        });
      }),
    },
    {
      name: 'promise-socket write',
      run: async (server) => {
        const socket = new PromiseSocket(await rawSocket(server.tcpPort));
        return timed(async () => {
          await socket.write(command);
          for (let i = 0; i < COUNT; i++) await socket.write(PIECE);
          await socket.end();
          await socket.read();
          socket.destroy();
          return COUNT;
        });
      },
    },
  ],
  checks: (results) => {
    const find = (name: string): Result => results.find((r) => r.variant === name)!;
    const writer = find('await writer.write (captureStreams)');
    const task = find('await task.write');
    const rate = writer.ratio! / task.ratio!;
    const cpu = cpuAgainst(task, writer);
    return [
      { what: 'captured writable: rate ÷ await task.write', value: rate, target: '≥ 0.9', met: rate >= 0.9 },
      { what: 'captured writable: CPU per write, task.write ÷ it', value: cpu, target: '≥ 0.9', met: cpu >= 0.9 },
    ];
  },
};
