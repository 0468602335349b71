import { describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { Session, StreamTaskStreamsEvent, type CapturedStreams, type StreamTask } from '../lib/index.js';
import { expectCode, text, useLoopback } from './helpers/fixture.js';
import { settle, startPeer } from './helpers/peer.js';

const loopback = useLoopback();

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of readable) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

/** Waits (a turn at a time, no sleep) until the task has buffered at least `count` bytes. */
async function buffered(task: StreamTask, count: number): Promise<void> {
  while (task.bufferedAmount < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('captureStreams', () => {
  test('the readable begins with the bytes the task had buffered, then the rest, and ends at FIN', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    remote.socket.write('hello world');
    expect(text((await task.readData({ minLength: 2, maxLength: 2 })).data)).toBe('he');
    await buffered(task, 9);
    const { readable, writable } = await task.captureStreams();
    remote.socket.end(', and goodbye');
    expect((await readAll(readable)).toString()).toBe('llo world, and goodbye');
    await writable.close();
    await remote.ended;
    await task.closed;
    expect(task.state).toBe('completed');
    expect(task.error).toBeNull();
  });

  test('a chunk the readable takes over never detaches memory a reader still holds', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    remote.socket.write('0123456789');
    await buffered(task, 10);
    // A view into the chunk; the rest of the chunk stays buffered, sharing its memory.
    const head = (await task.readData({ minLength: 4, maxLength: 4 })).data;
    const { readable, writable } = await task.captureStreams();
    const reader = readable.getReader();
    expect(text((await reader.read()).value!)).toBe('456789');
    expect(text(head)).toBe('0123');
    expect(head.buffer.byteLength).toBeGreaterThan(0);
    // A whole chunk of the socket's own is handed over as it is.
    remote.socket.end('whole');
    expect(text((await reader.read()).value!)).toBe('whole');
    expect((await reader.read()).done).toBe(true);
    await writable.close();
    await task.closed;
  });

  test('a readable captured after closeRead() ends at once', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    await loopback.peer.connection();
    await task.closeRead();
    const { readable, writable } = await task.captureStreams();
    expect((await readable.getReader().read()).done).toBe(true);
    await writable.close();
  });

  test('reads and writes enqueued before capture finish first, in order', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const earlierRead = task.readData({ minLength: 3, maxLength: 3 });
    const earlierWrite = task.write('first;');
    const capturing = task.captureStreams();
    remote.socket.write('abcdef');
    expect(text((await earlierRead).data)).toBe('abc');
    await earlierWrite;
    const { readable, writable } = await capturing;
    const writer = writable.getWriter();
    await writer.write(new TextEncoder().encode('second'));
    expect((await remote.waitForBytes(12)).toString()).toBe('first;second');
    const reader = readable.getReader();
    const { value } = await reader.read();
    expect(text(value!)).toBe('def');
    reader.releaseLock();
    await writer.close();
    remote.socket.end();
    await readAll(readable);
    await task.closed;
  });

  test("after capture the task's own operations reject invalidState; the event and delegate fire", async () => {
    const seen: string[] = [];
    const session = new Session({}, {
      didBecomeStreams: (task, streams) => seen.push(`delegate:${task.taskIdentifier}:${typeof streams.readable}`),
    });
    try {
      const task = await session.connect('127.0.0.1', loopback.peer.port);
      task.addEventListener('streamscaptured', (event) => {
        expect(event).toBeInstanceOf(StreamTaskStreamsEvent);
        seen.push('event');
      });
      const capturing = task.captureStreams();
      const refusals: Promise<unknown>[] = [task.readData(), task.write('x'), task.closeRead(), task.closeWrite(), task.readLine(), task.captureStreams()];
      for (const refused of refusals) {
        const error = expectCode((await settle(refused)).error, 'invalidState');
        expect(error.message).toMatch(/handed over by captureStreams\(\)/);
      }
      const streams: CapturedStreams = await capturing;
      expect(seen).toEqual(['event', `delegate:${task.taskIdentifier}:object`]);
      await streams.writable.abort();
    } finally {
      await session[Symbol.asyncDispose]();
    }
  });

  test('BYOB readers fill their own buffers', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const { readable, writable } = await task.captureStreams();
    remote.socket.write('0123456789');
    const reader = readable.getReader({ mode: 'byob' });
    const first = await reader.read(new Uint8Array(4));
    expect(text(first.value!)).toBe('0123');
    const second = await reader.read(new Uint8Array(100));
    expect(text(second.value!)).toBe('456789');
    remote.socket.end();
    const end = await reader.read(new Uint8Array(8));
    expect(end.done).toBe(true);
    await writable.close();
    await task.closed;
  });

  test('BYOB reads of any size, taken from the socket or the buffer, and a default reader between them lose and reorder nothing', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) >>> 5;
    const { readable, writable } = await task.captureStreams();
    // Pieces of many sizes, some while a read waits (taken directly), some ahead of it (buffered).
    void (async () => {
      for (let at = 0, piece = 1; at < payload.length; at += piece, piece = (piece * 3 + 1) % 200_000 + 1) {
        if (!remote.socket.write(payload.subarray(at, at + piece))) await once(remote.socket, 'drain');
      }
      remote.socket.end();
    })();
    const parts: Buffer[] = [];
    let size = 1;
    for (let round = 0; ; round++) {
      if (round % 7 === 6) {
        // A default reader for one chunk, then BYOB again.
        const reader = readable.getReader();
        const { value, done } = await reader.read();
        reader.releaseLock();
        if (done) break;
        parts.push(Buffer.from(value));
        continue;
      }
      const reader = readable.getReader({ mode: 'byob' });
      const { value, done } = await reader.read(new Uint8Array(size));
      reader.releaseLock();
      if (done) break;
      parts.push(Buffer.from(value!));
      size = (size * 5 + 3) % 100_000 + 1;
    }
    expect(Buffer.concat(parts).equals(payload)).toBe(true);
    expect(task.countOfBytesReceived).toBe(payload.length);
    await writable.close();
    await task.closed;
  });

  test('readable.cancel() closes the read side; writable.close() sends FIN; then the task completes', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const readClosed = once(task, 'readclosed');
    const { readable, writable } = await task.captureStreams();
    await readable.cancel();
    await readClosed;
    expect(task.state).toBe('running');
    await writable.close();
    await remote.ended;
    await task.closed;
    expect(task.state).toBe('completed');
  });

  test('writable.abort() resets the connection; the readable errors cancelled', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    // The peer sees a reset, not a FIN.
    const peerError = new Promise<NodeJS.ErrnoException>((resolve) => remote.socket.once('error', resolve));
    const { readable, writable } = await task.captureStreams();
    const reading = settle(readable.getReader().read());
    await writable.abort(new Error('stop'));
    expectCode((await reading).error, 'cancelled');
    expectCode((await settle(task.closed)).error, 'cancelled');
    expect((await peerError).code).toBe('ECONNRESET');
  });

  test('a slow consumer keeps memory bounded; a stalled peer makes the writable push back', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port, { readBufferSize: 128 * 1024 });
    const remote = await loopback.peer.connection();
    const { readable, writable } = await task.captureStreams();
    // In: the peer floods, nobody reads the readable.
    const flood = Buffer.alloc(64 * 1024, 9);
    while (remote.socket.write(flood));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(task.bufferedAmount).toBeLessThanOrEqual(128 * 1024 + 256 * 1024);
    // Out: the peer does not read; the writer's desiredSize drops to zero or below.
    remote.socket.pause();
    const writer = writable.getWriter();
    const big = new Uint8Array(1024 * 1024);
    let pushedBack = false;
    for (let i = 0; i < 64 && !pushedBack; i++) {
      void writer.write(big).catch(() => {});
      pushedBack = (writer.desiredSize ?? 0) <= 0;
    }
    expect(pushedBack).toBe(true);
    await writer.abort();
    await readable.cancel().catch(() => {});
    await settle(task.closed);
  });

  test('small writes through the writable, taken at once or queued behind a full kernel buffer, arrive in order and are counted', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const { readable, writable } = await task.captureStreams();
    const writer = writable.getWriter();
    remote.socket.pause();
    const pieces = Array.from({ length: 20_000 }, (_, i) => Buffer.alloc(1000, i & 0xff));
    const written = Promise.all(pieces.map((piece) => writer.write(piece)));
    // The kernel's buffers fill while the peer does not read; then it reads everything.
    await new Promise((resolve) => setTimeout(resolve, 50));
    remote.socket.resume();
    await written;
    await writer.close();
    await remote.ended;
    expect(Buffer.compare(remote.received(), Buffer.concat(pieces))).toBe(0);
    expect(task.countOfBytesSent).toBe(20_000 * 1000);
    await readable.cancel();
    await task.closed;
  });

  test("a writer's write skips the stream's queue only when nothing waits in it: order, desiredSize, close() and releaseLock() stay the standard's", async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const { readable, writable } = await task.captureStreams();
    const writer = writable.getWriter();
    const highWaterMark = writer.desiredSize!;
    // Too big to go at once: it waits in the stream, and the small write behind it waits too.
    const big = Buffer.alloc(64 * 1024, 1);
    const first = writer.write(big);
    expect(writer.desiredSize).toBe(highWaterMark - big.length);
    const second = writer.write(Buffer.from('x'));
    expect(writer.desiredSize).toBe(highWaterMark - big.length - 1);
    await Promise.all([first, second]);
    // Nothing waits: taken by the kernel within the call, settled already, nothing queued.
    const third = writer.write(Buffer.from('after'));
    expect(writer.desiredSize).toBe(highWaterMark);
    await third;
    // A written chunk that is not a Uint8Array still goes (through the stream's sink).
    await writer.write('s' as unknown as Uint8Array);
    writer.releaseLock();
    // Node's TypeError, of another realm than the test's.
    await expect(writer.write(Buffer.from('lost'))).rejects.toMatchObject({ name: 'TypeError' });
    const next = writable.getWriter();
    await next.write(Buffer.from('y'));
    const closing = next.close();
    await expect(next.write(Buffer.from('late'))).rejects.toMatchObject({ name: 'TypeError' });
    await closing;
    await remote.ended;
    expect(Buffer.compare(remote.received(), Buffer.concat([big, Buffer.from('xaftersy')]))).toBe(0);
    expect(task.countOfBytesSent).toBe(big.length + 8);
    await readable.cancel();
    await task.closed;
  });

  test('after writable.close() (no writer), a writer made while the FIN is in flight refuses writes with a TypeError; nothing follows the FIN', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const { readable, writable } = await task.captureStreams();
    const closing = writable.close();
    const writer = writable.getWriter();
    await expect(writer.write(Buffer.from('late'))).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_STATE' });
    await closing;
    await expect(writer.write(Buffer.from('later'))).rejects.toMatchObject({ name: 'TypeError' });
    await remote.ended;
    expect(remote.received().length).toBe(0);
    await readable.cancel();
    await task.closed;
  });

  test('a detached chunk is refused; after the task failed, a write rejects with its error and the writable is errored', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const { writable } = await task.captureStreams();
    const detached = new Uint8Array(8);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    await expect(writable.getWriter().write(detached)).rejects.toThrow(/detached/);
    remote.socket.resetAndDestroy();
    expectCode((await settle(task.closed)).error, 'networkConnectionLost');

    const failed = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const peer = await loopback.peer.connection();
    const writer = (await failed.captureStreams()).writable.getWriter();
    peer.socket.resetAndDestroy();
    expectCode((await settle(failed.closed)).error, 'networkConnectionLost');
    expectCode((await settle(writer.write(Buffer.from('x')))).error, 'networkConnectionLost');
    expectCode((await settle(writer.closed)).error, 'networkConnectionLost');
  });

  test('pipeTo between two tasks carries every byte and the FIN (a proxy)', async () => {
    const upstream = await startPeer();
    try {
      const from = await loopback.session.connect('127.0.0.1', loopback.peer.port);
      const to = await loopback.session.connect('127.0.0.1', upstream.port);
      const source = await loopback.peer.connection();
      const sink = await upstream.connection();
      const a = await from.captureStreams();
      const b = await to.captureStreams();
      const piping = a.readable.pipeTo(b.writable);
      const payload = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
      source.socket.end(payload);
      await piping;
      await sink.ended;
      expect(Buffer.compare(sink.received(), payload)).toBe(0);
      source.socket.end();
      sink.socket.end();
      await a.writable.close();
      await b.readable.cancel();
      await Promise.all([from.closed, to.closed]);
    } finally {
      await upstream.close();
    }
  });
});
