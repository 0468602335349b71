/**
 * Lines: the server sends COUNT Redis-style replies (":123456\r\n", ~9 bytes each), pipelined;
 * each variant reads them one line at a time. Against a hand-written CRLF parser over 'data'
 * events (what Redis clients do) and node:readline.
 */
import type net from 'node:net';
import readline from 'node:readline';
import { asyncio, rawSocket, withTask } from './clients.js';
import { cpuAgainst, timed, type Benchmark, type Result, type Variant } from './harness.js';

const CRLF = 0x0d;

/**
 * A hand-written parser, as a Redis client writes it: the bytes not yet parsed, each reply's end
 * found by searching for CR, each reply's text made from the chunk. Resolves with the count.
 */
function handWritten(socket: net.Socket, command: string): Promise<number> {
  return new Promise((resolve) => {
    let count = 0;
    let pending: Buffer | null = null;
    let last = '';
    socket.on('data', (chunk: Buffer) => {
      let data = pending === null ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      for (;;) {
        const cr = data.indexOf(CRLF, at);
        if (cr < 0 || cr + 1 >= data.length) break;
        last = data.toString('utf8', at, cr);
        count++;
        at = cr + 2;
      }
      pending = at === data.length ? null : data.subarray(at);
      data = pending ?? data;
    });
    socket.once('end', () => {
      if (last.length === 0 && count > 0) throw new Error('no reply parsed');
      socket.destroy();
      resolve(count);
    });
    socket.write(command);
  });
}

function variants(count: number): Variant[] {
  const command = `LINES ${count}\n`;
  return [
    {
      name: 'hand-written CRLF parser (data events)',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        return timed(() => handWritten(socket, command));
      },
    },
    {
      name: 'node:readline',
      run: async (server) => {
        const socket = await rawSocket(server.tcpPort);
        return timed(async () => {
          socket.write(command);
          let got = 0;
          for await (const line of readline.createInterface({ input: socket, crlfDelay: Infinity })) got += line.length > 0 ? 1 : 0;
          socket.destroy();
          return got;
        });
      },
    },
    {
      name: "readUntil('\\r\\n')",
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        let got = 0;
        for (;;) {
          try {
            await task.readUntil('\r\n');
          } catch {
            return got; // incompleteRead at the end of stream: every reply was read
          }
          got++;
        }
      })),
    },
    {
      name: 'readLine()',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        let got = 0;
        while ((await task.readLine()) !== null) got++;
        return got;
      })),
    },
    {
      name: 'lines()',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        let got = 0;
        for await (const line of task.lines()) got += line.length > 0 ? 1 : 0;
        return got;
      })),
    },
    { name: 'python asyncio readuntil', run: (server) => asyncio(['lines', String(server.tcpPort), String(count)]) },
  ];
}

const count = Number(process.env.BENCH_LINES ?? 2_000_000);
export const lines: Benchmark = {
  name: 'lines',
  description: `${count} pipelined replies of 9 bytes, read one line at a time`,
  cpu: { label: 'ns/line', per: 1000 },
  unit: { label: 'M lines/s', scale: 1e6 },
  rounds: 3,
  baseline: 'hand-written CRLF parser (data events)',
  targets: {},
  variants: variants(count),
  checks: (results) => {
    const find = (name: string): Result => results.find((r) => r.variant === name)!;
    // Against the baseline: its ratio to the parser's runs beside it.
    const againstParser = ["readUntil('\\r\\n')", 'readLine()', 'lines()'].map((name) => {
      const cpu = find(name).cpuRatio!;
      return { what: `${name}: CPU per line ÷ the hand-written parser's`, value: cpu, target: '≤ 2.5', met: cpu <= 2.5 };
    });
    const againstReadline = cpuAgainst(find('lines()'), find('node:readline'));
    return [...againstParser, { what: "lines(): CPU per line ÷ node:readline's", value: againstReadline, target: '≤ 1', met: againstReadline <= 1 }];
  },
};
