/** Many small writes: 16-byte writes made in a loop without awaiting each; the server answers OK after the last byte. */
import { MiB, rawSocket, untilEnd, withTask } from './clients.js';
import { timed, type Benchmark } from './harness.js';


const COUNT = Number(process.env.BENCH_SMALL_WRITES ?? 1_000_000);
const PIECE = Buffer.alloc(16, 0x73);
const command = `SINK ${COUNT * PIECE.length}\n`;

export const smallWrites: Benchmark = {
  name: 'small-writes',
  description: `${COUNT} writes of 16 bytes without awaiting each`,
  cpu: { label: 'µs/write', per: 16 },
  unit: { label: 'MiB/s', scale: MiB },
  rounds: 5,
  baseline: 'net.Socket write × N',
  targets: { 'task.write × N': 0.8 },
  variants: [
    {
      name: 'net.Socket write × N',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        const reply = untilEnd(socket);
        return timed(async () => {
          socket.write(command);
          for (let i = 0; i < COUNT; i++) socket.write(PIECE);
          socket.end();
          await reply;
          socket.destroy();
          return COUNT * PIECE.length;
        });
      },
    },
    {
      name: 'net.Socket cork + write × N',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        const reply = untilEnd(socket);
        return timed(async () => {
          socket.cork();
          socket.write(command);
          for (let i = 0; i < COUNT; i++) socket.write(PIECE);
          socket.uncork();
          socket.end();
          await reply;
          socket.destroy();
          return COUNT * PIECE.length;
        });
      },
    },
    {
      name: 'task.write × N',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        void task.write(command);
        let last: Promise<void> = Promise.resolve();
        for (let i = 0; i < COUNT; i++) last = task.write(PIECE);
        await last;
        await task.closeWrite();
        await task.readLine();
        return COUNT * PIECE.length;
      })),
    },
  ],
};
