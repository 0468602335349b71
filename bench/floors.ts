/**
 * The floors bulk receive is measured against, beside the raw socket: what the machine can do
 * (a C read() loop), and what Node can do when every chunk must stay valid for whoever holds it
 * (`onread` into slabs it never reads into again, each chunk a view). No reader that hands out
 * chunks can spend less than the second; none at all less than the first.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { timed, type Sample, type Variant } from './harness.js';

const source = fileURLToPath(new URL('../../bench/read_loop.c', import.meta.url));
const binary = fileURLToPath(new URL('./read-loop', import.meta.url));

/** Compiles the C floor with the machine's `cc`; returns a line saying what happened. */
export function buildFloors(): string {
  try {
    execFileSync('cc', ['-O2', '-o', binary, source], { stdio: 'pipe' });
    return 'C floor: built with cc';
  } catch (error) {
    return `C floor: skipped, cc could not build it (${(error as Error).message.split('\n')[0]})`;
  }
}

/** The C read() loop, or null where it could not be built. */
export function cReadLoop(size: number): Variant {
  return {
    name: 'C read() loop (floor)',
    run: (server) => new Promise<Sample>((resolve, reject) => {
      if (!existsSync(binary)) return reject(new Error('the C floor was not built (no cc)'));
      execFile(binary, [String(server.tcpPort), String(size)], (error, stdout) => {
        if (error) reject(error);
        else resolve(JSON.parse(stdout) as Sample);
      });
    }),
  };
}

const SLAB = 256 * 1024;
const MIN_READ = 16 * 1024;

/** `onread` into 256 KiB slabs never reused, each chunk a view of one: the floor for valid chunks. */
export function validChunkReader(size: number): Variant {
  return {
    name: 'onread, valid chunks (floor)',
    run: (server) => timed(() => new Promise<number>((resolve, reject) => {
      let slab = Buffer.allocUnsafeSlow(SLAB);
      let used = 0;
      let total = 0;
      let last: Uint8Array | null = null;
      const socket = net.connect({
        port: server.tcpPort,
        host: '127.0.0.1',
        noDelay: true,
        onread: {
          buffer: () => {
            if (SLAB - used < MIN_READ) {
              slab = Buffer.allocUnsafeSlow(SLAB);
              used = 0;
            }
            return slab.subarray(used);
          },
          callback: (nread, buffer) => {
            // Handed on as a consumer would get it: a view that stays valid.
            last = buffer.subarray(0, nread);
            used += nread;
            total += last.length;
            return true;
          },
        },
      });
      socket.once('connect', () => socket.write(`SOURCE ${size}\n`));
      // Flowing, so that 'end' is emitted (an onread socket has no 'data' listener to start it).
      socket.resume();
      socket.once('error', reject);
      socket.once('end', () => {
        socket.destroy();
        resolve(total);
      });
    })),
  };
}
