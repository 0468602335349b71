/**
 * Soak: thousands of tasks opened and closed with random faults (peer reset or FIN mid-transfer,
 * cancel, read time limits), 50 at a time. Afterwards no file descriptor is left (/proc/self/fd)
 * and the heap is back near where it started. SOAK_TASKS sets the number (default 2,000, about
 * 10 s; try 50000 for a long run).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Session } from '../lib/index.js';

const TASKS = Number(process.env.SOAK_TASKS ?? 2000);
const AT_ONCE = 50;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** A random but reproducible choice: a small linear congruential generator. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

let server: net.Server;
let port: number;
const peers = new Set<net.Socket>();
beforeAll(async () => {
  // Each connection says which fault it wants in its first byte.
  server = net.createServer({ allowHalfOpen: true }, (socket) => {
    peers.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => peers.delete(socket));
    socket.on('end', () => socket.end()); // a polite peer: our FIN answers theirs
    socket.once('data', (first: Buffer) => {
      const fault = first[0];
      socket.write(Buffer.alloc(8192, 0x2a));
      if (fault === 0x52) setImmediate(() => socket.resetAndDestroy()); // R: reset mid-transfer
      else if (fault === 0x46) socket.end(); // F: FIN after the bytes
      // S: stall; the task times out or cancels
    });
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const socket of peers) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function oneTask(session: Session, next: () => number): Promise<void> {
  const task = session.streamTask('127.0.0.1', port);
  task.resume();
  const roll = next();
  const fault = roll < 0.3 ? 'R' : roll < 0.7 ? 'F' : 'S';
  try {
    await task.write(fault);
    if (next() < 0.2) task.cancel();
    for (;;) {
      const { atEOF } = await task.readData({ timeout: 200 });
      if (atEOF) break;
    }
    await task.closeWrite();
  } catch {
    // reset, cancel or time limit: all expected here
  }
  task.cancel();
  await task.closed.catch(() => {});
}

describe('soak', () => {
  test(`${TASKS} tasks with random faults leave no descriptor and no growing heap`, async () => {
    const next = random(Number(process.env.SOAK_SEED ?? 7));
    const session = new Session();
    // Warm up (lazy modules, JIT), then take the baseline.
    await Promise.all(Array.from({ length: AT_ONCE }, () => oneTask(session, next)));
    gc();
    const fdsBefore = openFds();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let done = 0; done < TASKS; done += AT_ONCE) {
      await Promise.all(Array.from({ length: Math.min(AT_ONCE, TASKS - done) }, () => oneTask(session, next)));
    }
    expect(session.tasks).toHaveLength(0);
    await session[Symbol.asyncDispose]();
    // Closed sockets give their descriptors back within a few turns.
    for (let turn = 0; turn < 50 && openFds() > fdsBefore; turn++) await new Promise((resolve) => setImmediate(resolve));
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(openFds()).toBeLessThanOrEqual(fdsBefore);
    // Tens of thousands of tasks must not leave even 100 bytes each behind.
    expect(heapGrowth).toBeLessThan(Math.max(4 * 1024 * 1024, TASKS * 100));
  }, 120_000);
});
