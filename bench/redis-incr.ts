/**
 * Against a real redis-server (started here, on a free loopback port, no persistence): batches of
 * 10,000 pipelined INCR, the replies read back one line each, by readLine() and by a raw socket
 * with a hand-written parser. Skipped, with a message, where redis-server is not installed.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { rawSocket } from './clients.js';
import { timed, type Benchmark, type Setup } from './harness.js';

const PIPELINE = 10_000;
// 100 batches (1,000,000 INCR, under a second): with 20 the run was short enough that compiling
// our code (V8's threads count in the process's CPU) was a fifth of it, which a long-lived client pays once.
const BATCHES = Number(process.env.BENCH_REDIS_BATCHES ?? 100);
const REQUEST = Buffer.from('INCR streamtask:bench\r\n'.repeat(PIPELINE));

const redisPort = (): number => Number(process.env.BENCH_REDIS_PORT);

/** Starts redis-server, or says why not. */
async function startRedis(): Promise<Setup> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    const deadline = Date.now() + 5000;
    const poll = (): void => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => (Date.now() > deadline ? resolve(false) : setTimeout(poll, 50)));
    };
    poll();
  });
  if (!started) {
    child.kill();
    return { skip: 'redis-server is not installed (Debian: apt-get install redis-server)' };
  }
  return {
    env: { BENCH_REDIS_PORT: String(port) },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}

/** Reads `count` replies with a hand-written CRLF parser over 'data' events. */
function repliesOf(socket: net.Socket, count: number): Promise<void> {
  return new Promise((resolve) => {
    let left = count;
    let pending: Buffer | null = null;
    const onData = (chunk: Buffer): void => {
      const data = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      for (;;) {
        const cr = data.indexOf(0x0d, at);
        if (cr < 0 || cr + 1 >= data.length) break;
        if (data[at] !== 0x3a) throw new Error(`unexpected reply ${data.toString('latin1', at, cr)}`);
        left--;
        at = cr + 2;
      }
      pending = at === data.length ? null : data.subarray(at);
      if (left > 0) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
  });
}

export const redisIncr: Benchmark = {
  name: 'redis-incr',
  description: `${BATCHES} batches of ${PIPELINE} pipelined INCR against redis-server`,
  cpu: { label: 'ns/INCR', per: 1000 },
  unit: { label: 'k INCR/s', scale: 1000 },
  rounds: 5,
  baseline: 'net.Socket, hand-written parser',
  targets: { 'readLine()': 1 / 1.3 },
  setup: startRedis,
  variants: [
    {
      name: 'net.Socket, hand-written parser',
      run: async () => {
        const socket = await rawSocket(redisPort());
        const sample = await timed(async () => {
          for (let batch = 0; batch < BATCHES; batch++) {
            const replies = repliesOf(socket, PIPELINE);
            socket.write(REQUEST);
            await replies;
          }
          return BATCHES * PIPELINE;
        });
        socket.destroy();
        return sample;
      },
    },
    {
      name: 'readLine()',
      run: async () => {
        const { Session } = await import('streamtask');
        await using session = new Session();
        const task = await session.connect('127.0.0.1', redisPort());
        // Awaited here: the session is disposed (its tasks cancelled) when this block is left.
        return await timed(async () => {
          for (let batch = 0; batch < BATCHES; batch++) {
            const sent = task.write(REQUEST);
            for (let i = 0; i < PIPELINE; i++) {
              const reply = await task.readLine();
              if (reply === null || reply.charCodeAt(0) !== 0x3a) throw new Error(`unexpected reply ${reply}`);
            }
            await sent;
          }
          return BATCHES * PIPELINE;
        });
      },
    },
  ],
};
