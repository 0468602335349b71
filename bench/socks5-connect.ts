/**
 * Connections through a SOCKS5 proxy (its own process), each opened, one byte echoed through it,
 * and closed: our handshake (lib/connect/socks5.ts, a preamble on the task's connection) against
 * the `socks` package's SocksClient, the well-kept library we chose not to use (docs/decisions.md
 * says why). The target is the load server's ECHO.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { timed, type Benchmark, type Setup } from './harness.js';

const CONNECTIONS = Number(process.env.BENCH_SOCKS_CONNECTIONS ?? 500);
const proxyPort = (): number => Number(process.env.BENCH_SOCKS_PORT);

async function startProxy(): Promise<Setup> {
  const script = fileURLToPath(new URL('./socks-proxy.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return {
    env: { BENCH_SOCKS_PORT: line.split(' ')[1]! },
    stop: async () => {
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

export const socks5Connect: Benchmark = {
  name: 'socks5-connect',
  description: `${CONNECTIONS} connections through a SOCKS5 proxy, one byte echoed on each`,
  cpu: { label: 'µs/connection', per: 1 },
  unit: { label: 'connections/s', scale: 1 },
  rounds: 5,
  baseline: 'socks package',
  targets: { 'streamtask': 1 },
  setup: startProxy,
  variants: [
    {
      name: 'socks package',
      run: async (server) => {
        const { SocksClient } = await import('socks');
        return timed(async () => {
          for (let i = 0; i < CONNECTIONS; i++) {
            const { socket } = await SocksClient.createConnection({
              proxy: { host: '127.0.0.1', port: proxyPort(), type: 5 },
              command: 'connect',
              destination: { host: '127.0.0.1', port: server.tcpPort },
            });
            const echoed = once(socket, 'data');
            socket.write('ECHO\nx');
            await echoed;
            socket.destroy();
          }
          return CONNECTIONS;
        });
      },
    },
    {
      name: 'streamtask',
      run: async (server) => {
        const { Session } = await import('streamtask');
        await using session = new Session({ proxy: { socks: `socks5://127.0.0.1:${proxyPort()}` } });
        return await timed(async () => {
          for (let i = 0; i < CONNECTIONS; i++) {
            const task = await session.connect('127.0.0.1', server.tcpPort);
            await task.write('ECHO\nx');
            await task.readExactly(1);
            task.cancel();
          }
          return CONNECTIONS;
        });
      },
    },
  ],
};
