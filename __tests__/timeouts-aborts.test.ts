import { describe, expect, test } from '@jest/globals';
import { AbortController as PolyfillAbortController } from 'abort-controller';
import { getEventListeners } from 'node:events';
import { Session, StreamTaskError } from '../lib/index.js';
import { settle, type PeerConnection } from './helpers/peer.js';
import { expectCode, text, useLoopback } from './helpers/fixture.js';

const loopback = useLoopback();

async function connected(): Promise<{ task: Awaited<ReturnType<Session['connect']>>; remote: PeerConnection }> {
  const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
  return { task, remote: await loopback.peer.connection() };
}


describe('read time limits', () => {
  test('a read that times out loses nothing: the bytes that arrived go to the next read', async () => {
    const { task, remote } = await connected();
    remote.socket.write('abc');
    const { error } = await settle(task.readData({ minLength: 10, timeout: 100 }));
    expectCode(error, 'timedOut');
    expect((error as StreamTaskError).urlErrorCode).toBe(-1001);
    expect((error as Error).message).toMatch(/^readData to 127\.0\.0\.1:\d+: timed out after 100 ms$/);
    expect(task.state).toBe('running');
    remote.socket.write('defghij');
    expect(text((await task.readData({ minLength: 10, maxLength: 10 })).data)).toBe('abcdefghij');
  });

  test('the clock starts at the call: time waiting behind an earlier read counts', async () => {
    const { task, remote } = await connected();
    const first = task.readData({ minLength: 4 });
    const second = settle(task.readData({ minLength: 1, timeout: 50 }));
    expectCode((await second).error, 'timedOut');
    remote.socket.write('1234');
    expect(text((await first).data)).toBe('1234');
  });

  test('bytes arriving after a timeout are delivered once, in order', async () => {
    const { task, remote } = await connected();
    for (let i = 0; i < 5; i++) {
      remote.socket.write(String(i));
      expectCode((await settle(task.readData({ minLength: 100, timeout: 20 }))).error, 'timedOut');
    }
    remote.socket.end('!');
    const all: string[] = [];
    for (;;) {
      const { data, atEOF } = await task.readData();
      all.push(text(data));
      if (atEOF) break;
    }
    expect(all.join('')).toBe('01234!');
  });
});

describe('aborting one operation', () => {
  test('abort of a running read: it rejects cancelled, the task and the bytes stay', async () => {
    const { task, remote } = await connected();
    remote.socket.write('xy');
    const controller = new AbortController();
    const read = settle(task.readData({ minLength: 5, signal: controller.signal }));
    await remote.waitForBytes(0);
    controller.abort(new Error('user gave up'));
    const { error } = await read;
    expectCode(error, 'cancelled');
    expect((error as StreamTaskError).cause).toEqual(new Error('user gave up'));
    expect(task.state).toBe('running');
    remote.socket.write('z');
    expect(text((await task.readData({ minLength: 3 })).data)).toBe('xyz');
  });

  test('abort of a queued read: it leaves the queue, the reads around it run in order', async () => {
    const { task, remote } = await connected();
    const controller = new AbortController();
    const first = task.readData({ minLength: 2, maxLength: 2 });
    const queued = settle(task.readData({ minLength: 2, maxLength: 2, signal: controller.signal }));
    const third = task.readData({ minLength: 2, maxLength: 2 });
    controller.abort();
    expectCode((await queued).error, 'cancelled');
    remote.socket.write('aabb');
    expect(text((await first).data)).toBe('aa');
    expect(text((await third).data)).toBe('bb');
  });

  test.each<[string, 'before' | 'during' | 'tick']>([
    ['before the call', 'before'],
    ['while it waits', 'during'],
    ['on the next tick', 'tick'],
  ])('aborted %s: rejects cancelled, leaves no listener or timer', async (_, when) => {
    const { task, remote } = await connected();
    const controller = new AbortController();
    if (when === 'before') controller.abort();
    const read = settle(task.readData({ signal: controller.signal, timeout: 60_000 }));
    if (when === 'during') {
      await remote.waitForBytes(0);
      controller.abort();
    }
    if (when === 'tick') process.nextTick(() => controller.abort());
    expectCode((await read).error, 'cancelled');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    remote.socket.write('still here');
    expect(text((await task.readData({ minLength: 10 })).data)).toBe('still here');
  });

  test('a signal from the abort-controller polyfill works the same', async () => {
    const { task, remote } = await connected();
    const controller = new PolyfillAbortController();
    const read = settle(task.readData({ minLength: 3, signal: controller.signal }));
    controller.abort();
    expectCode((await read).error, 'cancelled');
    remote.socket.write('abc');
    expect(text((await task.readData({ minLength: 3 })).data)).toBe('abc');
  });

  test('a settled read removes its abort listener', async () => {
    const { task, remote } = await connected();
    const controller = new AbortController();
    remote.socket.write('a');
    await task.readData({ signal: controller.signal, timeout: 1000 });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('write time limits and aborts', () => {
  test('a write queued behind a stalled one times out uncommitted; none of its bytes are sent', async () => {
    const { task, remote } = await connected();
    remote.socket.pause();
    // Fill the kernel buffers and Node's until the socket says stop.
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    const blocked = task.write(big);
    const late = settle(task.write('LATE', { timeout: 100 }));
    const { error } = await late;
    expectCode(error, 'timedOut');
    expect((error as StreamTaskError).committedBytes).toBe(0);
    expect((error as Error).message).toMatch(/none of its bytes were sent/);
    remote.socket.resume();
    await blocked;
    await task.write('END');
    const received = await remote.waitForBytes(big.length + 3);
    expect(received.length).toBe(big.length + 3);
    expect(received.subarray(big.length).toString()).toBe('END');
  });

  test('a write already handed to the socket says so when its time runs out, and its bytes still arrive', async () => {
    const { task, remote } = await connected();
    remote.socket.pause();
    const big = Buffer.alloc(8 * 1024 * 1024, 2);
    const { error } = await settle(task.write(big, { timeout: 100 }));
    expectCode(error, 'timedOut');
    expect((error as StreamTaskError).committedBytes).toBe(big.length);
    remote.socket.resume();
    await task.write('!');
    const received = await remote.waitForBytes(big.length + 1);
    expect(received.length).toBe(big.length + 1);
  });
});
