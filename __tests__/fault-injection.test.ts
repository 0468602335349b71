/**
 * The same workload through a misbehaving proxy: results identical to the clean run, or the
 * documented error, never a hang (every test has a bounded time).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Session, type StreamTask, type StreamTaskError } from '../lib/index.js';
import { startFaultProxy, type Faults } from './helpers/fault-proxy.js';
import { expectCode } from './helpers/fixture.js';

/** "GET n\n" → n deterministic bytes, then FIN. */
function payload(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return bytes;
}

let server: net.Server;
let serverPort: number;
const serverSockets = new Set<net.Socket>();
beforeAll(async () => {
  server = net.createServer({ allowHalfOpen: true }, (socket) => {
    serverSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => serverSockets.delete(socket));
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const match = /^GET (\d+)\n/.exec(head);
      if (match !== null) socket.end(payload(Number(match[1])));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const socket of serverSockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function through<T>(faults: Faults, use: (task: StreamTask, release: () => void) => Promise<T>): Promise<T> {
  const proxy = await startFaultProxy(serverPort, faults);
  const session = new Session();
  try {
    const task = await session.connect('127.0.0.1', proxy.port);
    return await use(task, () => proxy.release());
  } finally {
    await session[Symbol.asyncDispose]();
    await proxy.close();
  }
}

/** Reads to the end with readData, collecting every chunk. */
async function readAll(task: StreamTask, timeout = 0): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { data, atEOF } = await task.readData({ maxLength: 8192, timeout });
    chunks.push(data);
    if (atEOF) return Buffer.concat(chunks);
  }
}

const digest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('faults that must not change the result', () => {
  test.each<[string, Faults, number]>([
    ['a clean run', {}, 256 * 1024],
    ['every chunk delayed 5 ms', { delayMs: 5 }, 256 * 1024],
    ['the answer cut into 1-byte pieces', { fragment: true }, 16 * 1024],
  ])('%s: every byte, once, in order', async (_name, faults, size) => {
    const received = await through(faults, async (task) => {
      await task.write(`GET ${size}\n`);
      return readAll(task);
    });
    expect(received.length).toBe(size);
    expect(digest(received)).toBe(digest(payload(size)));
  }, 15_000);

  test('readExactly and readUntil across 1-byte pieces', async () => {
    await through({ fragment: true }, async (task) => {
      await task.write('GET 4096\n');
      const expected = payload(4096);
      expect(Buffer.from(await task.readExactly(1000))).toEqual(expected.subarray(0, 1000));
      const delimiter = expected.subarray(2000, 2003);
      const upTo = await task.readUntil(delimiter, { maxLength: 4096 });
      expect(Buffer.from(upTo)).toEqual(expected.subarray(1000, 1000 + upTo.length));
      expect(Buffer.from(upTo.subarray(-3))).toEqual(delimiter);
    });
  }, 15_000);
});

describe('a stall: reads time out, nothing is lost when the bytes come', () => {
  test('timed-out reads leave the stream intact', async () => {
    const size = 64 * 1024;
    await through({ stallAfter: 1000 }, async (task, release) => {
      await task.write(`GET ${size}\n`);
      const first = await task.readData({ minLength: 1000, maxLength: 1000, timeout: 5000 });
      let timedOut = 0;
      for (let i = 0; i < 3; i++) {
        const error = await task.readData({ minLength: 1, timeout: 50 }).then(() => null, (e: unknown) => e);
        expectCode(error, 'timedOut');
        timedOut++;
      }
      release();
      const rest = await readAll(task, 5000);
      expect(timedOut).toBe(3);
      expect(digest(Buffer.concat([first.data, rest]))).toBe(digest(payload(size)));
    });
  }, 15_000);
});

describe('a cut or a reset: the documented outcome', () => {
  test('cut (FIN) after 5000 bytes: exactly those bytes, then atEOF; readExactly says incompleteRead', async () => {
    await through({ cutAfter: 5000 }, async (task) => {
      await task.write('GET 65536\n');
      const error = await task.readExactly(65536).then(() => null, (e: unknown) => e);
      expect(expectCode(error, 'incompleteRead').partialLength).toBe(5000);
      const received = await readAll(task);
      expect(Buffer.from(received)).toEqual(payload(65536).subarray(0, 5000));
    });
  }, 15_000);

  test('reset after 5000 bytes: a prefix of the stream, then networkConnectionLost', async () => {
    await through({ resetAfter: 5000 }, async (task) => {
      await task.write('GET 65536\n');
      const chunks: Uint8Array[] = [];
      let failure: unknown = null;
      try {
        for (;;) {
          const { data, atEOF } = await task.readData({ timeout: 5000 });
          chunks.push(data);
          if (atEOF) break;
        }
      } catch (error) {
        failure = error;
      }
      expectCode(failure, 'networkConnectionLost');
      const received = Buffer.concat(chunks);
      expect(received.length).toBeLessThanOrEqual(5000);
      expect(received).toEqual(payload(65536).subarray(0, received.length));
      await expect(task.closed).rejects.toMatchObject({ code: 'networkConnectionLost' } satisfies Partial<StreamTaskError>);
    });
  }, 15_000);
});
