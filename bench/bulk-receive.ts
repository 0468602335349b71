/** Bulk receive: the server sends a large amount; each variant reads it all, 64 KiB reads where it can choose. */
import type net from 'node:net';
import { Duplex } from 'node:stream';
import PromiseSocket from 'promise-socket';
import { asyncio, GiB, rawSocket, rawTlsSocket, readAwaitingEachChunk, withTask } from './clients.js';

const TLS_HAND_WRITTEN = 'promise per chunk, hand-written (tls.TLSSocket)';
import { cReadLoop, validChunkReader } from './floors.js';
import { cpuAgainst, timed, type Benchmark, type Result, type Server, type Variant } from './harness.js';


/** The floor for promise-based reading (see readAwaitingEachChunk): what our reads cost beyond it is ours. */
function handWritten(name: string, open: (server: Server) => Promise<net.Socket>, command: string): Variant {
  return {
    name,
    run: async (server) => {
      const socket = await open(server);
      return timed(async () => {
        const total = await readAwaitingEachChunk(socket, command);
        socket.destroy();
        return total;
      });
    },
  };
}

function variants(secure: boolean, size: number): Variant[] {
  const command = `SOURCE ${size}\n`;
  const raw = (server: Server): Promise<net.Socket> => (secure ? rawTlsSocket(server) : rawSocket(server.tcpPort));
  const kind = secure ? 'tls.TLSSocket' : 'net.Socket';
  const list: Variant[] = [
    {
      name: `${kind} data events`,
      run: async (server) => {
        const socket = await raw(server);
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
      name: `for await (${kind})`,
      run: async (server) => {
        const socket = await raw(server);
        return timed(async () => {
          socket.write(command);
          let total = 0;
          for await (const chunk of socket) total += (chunk as Buffer).length;
          socket.destroy();
          return total;
        });
      },
    },
    handWritten(`promise per chunk, hand-written (${kind})`, raw, command),
    {
      name: 'readData 64 KiB loop',
      run: (server) => withTask(server, secure, (task) => timed(async () => {
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
      run: (server) => withTask(server, secure, (task) => timed(async () => {
        await task.write(command);
        let total = 0;
        for await (const chunk of task) total += chunk.length;
        return total;
      })),
    },
  ];
  // For TLS, `raw` is a socket made as a task makes its own for TLS from the first byte (by
  // tls.connect), so the hand-written reader above is the floor TLS_HAND_WRITTEN names.
  if (secure) return list;
  return [
    ...list,
    validChunkReader(size),
    cReadLoop(size),
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
      name: 'captureStreams BYOB reader',
      run: (server) => withTask(server, false, (task) => timed(async () => {
        await task.write(command);
        const { readable, writable } = await task.captureStreams();
        const reader = readable.getReader({ mode: 'byob' });
        // One 64 KiB buffer throughout: each read hands it back (transferred) with the bytes in it.
        let view = new Uint8Array(65536);
        let total = 0;
        for (;;) {
          const { value, done } = await reader.read(view);
          if (done) break;
          total += value.length;
          view = new Uint8Array(value.buffer);
        }
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
    { name: 'python asyncio read(64 KiB)', run: (server) => asyncio(['receive', String(server.tcpPort), String(size)]) },
  ];
}

const tcpSize = Number(process.env.BENCH_BYTES ?? GiB);
export const bulkReceive: Benchmark = {
  name: 'bulk-receive',
  description: `receive ${tcpSize / GiB} GiB over loopback`,
  cpu: { label: 'µs/64 KiB', per: 65536 },
  unit: { label: 'GiB/s', scale: GiB },
  rounds: 5,
  baseline: 'net.Socket data events',
  targets: {},
  ahead: { 'captureStreams readable': ['Duplex.toWeb readable'] },
  variants: variants(false, tcpSize),
  checks: (results) => {
    const find = (name: string): Result => results.find((r) => r.variant === name)!;
    const floor = find('onread, valid chunks (floor)');
    const nearFloor = ['readData 64 KiB loop', 'for await (task)', 'captureStreams readable'].flatMap((name) => {
      const ours = find(name);
      const cpu = cpuAgainst(ours, floor);
      return [
        { what: `${name}: client CPU ÷ the valid-chunk floor's`, value: cpu, target: '≤ 1.3', met: cpu <= 1.3 },
        { what: `${name}: rate ÷ raw 'data' events`, value: ours.ratio!, target: '≥ 1.1', met: ours.ratio! >= 1.1 },
      ];
    });
    const byob = cpuAgainst(find('captureStreams BYOB reader'), find('captureStreams readable'));
    return [...nearFloor, { what: "BYOB reader: client CPU ÷ the default reader's", value: byob, target: '≤ 1', met: byob <= 1 }];
  },
};

const tlsSize = Number(process.env.BENCH_TLS_BYTES ?? GiB / 2);
export const tlsBulkReceive: Benchmark = {
  name: 'tls-bulk-receive',
  description: `receive ${tlsSize / GiB} GiB over TLS on loopback`,
  cpu: { label: 'µs/64 KiB', per: 65536 },
  unit: { label: 'GiB/s', scale: GiB },
  rounds: 5,
  baseline: 'tls.TLSSocket data events',
  targets: { 'readData 64 KiB loop': 0.95, 'for await (task)': 0.95 },
  variants: variants(true, tlsSize),
  checks: (results) => {
    // Against the hand-written promise reader on a socket made as a task makes it.
    const floor = results.find((r) => r.variant === TLS_HAND_WRITTEN)!;
    return ['readData 64 KiB loop', 'for await (task)'].map((name) => {
      const value = cpuAgainst(results.find((r) => r.variant === name)!, floor);
      return { what: `${name}: client CPU ÷ the hand-written reader's`, value, target: '≤ 1.05', met: value <= 1.05 };
    });
  },
};
