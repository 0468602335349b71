import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { Session, StreamTaskError } from '../lib/index.js';
import { settle, startPeer, unusedPort, type Peer } from './helpers/peer.js';
import { startStalledListener } from './helpers/stalled-listener.js';

let session: Session;

beforeEach(() => {
  session = new Session();
});

afterEach(async () => {
  await session[Symbol.asyncDispose]();
});

function expectCode(error: unknown, code: string, urlErrorCode: number): StreamTaskError {
  expect(error).toBeInstanceOf(StreamTaskError);
  expect((error as StreamTaskError).code).toBe(code);
  expect((error as StreamTaskError).urlErrorCode).toBe(urlErrorCode);
  return error as StreamTaskError;
}

describe('connecting fails', () => {
  test('refused: cannotConnectToHost, every enqueued operation rejects with it', async () => {
    const port = await unusedPort();
    const task = session.streamTask('127.0.0.1', port);
    const read = settle(task.readData());
    const write = settle(task.write('x'));
    task.resume();
    const error = expectCode((await settle(task.opened)).error, 'cannotConnectToHost', -1004);
    expect(error.message).toBe(`connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect((await read).error).toBe(error);
    expect((await write).error).toBe(error);
    expect((await settle(task.closed)).error).toBe(error);
    expect(task.state).toBe('completed');
    expect(task.error).toBe(error);
  });

  test('session.connect rejects (never throws) on refusal', async () => {
    const port = await unusedPort();
    const result = await settle(session.connect('127.0.0.1', port));
    expectCode(result.error, 'cannotConnectToHost', -1004);
  });

  test('session.connect rejects bad arguments, and a refusal only once the task has closed', async () => {
    expect((await settle(session.connect('127.0.0.1', 70_000))).error).toBeInstanceOf(RangeError);
    const port = await unusedPort();
    const connecting = session.connect('127.0.0.1', port);
    const [task] = session.tasks;
    const error = (await settle(connecting)).error;
    expectCode(error, 'cannotConnectToHost', -1004);
    expect(task!.state).toBe('completed');
    expect((await settle(task!.opened)).error).toBe(error);
  });

  test('session.connect and `opened` asked meanwhile settle together', async () => {
    const peer = await startPeer();
    try {
      const connecting = session.connect('127.0.0.1', peer.port);
      const [task] = session.tasks;
      const info = await task!.opened;
      expect(await connecting).toBe(task);
      expect(info.remotePort).toBe(peer.port);
      expect(await task!.opened).toBe(info);
      task!.cancel();
    } finally {
      await peer.close();
    }
  });

  test('unknown host: cannotFindHost naming the host', async () => {
    const error = expectCode((await settle(session.connect('no-such-host.invalid', 80))).error, 'cannotFindHost', -1003);
    expect(error.message).toMatch(/^connect to no-such-host\.invalid:80: /);
  });

  test('no answer within timeoutIntervalForRequest: timedOut', async () => {
    const listener = await startStalledListener();
    try {
      const started = Date.now();
      const error = expectCode(
        (await settle(session.connect('127.0.0.1', listener.port, { timeoutIntervalForRequest: 200 }))).error,
        'timedOut',
        -1001,
      );
      expect(error.message).toBe(`connect to 127.0.0.1:${listener.port}: connecting timed out after 200 ms`);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await listener.close();
    }
  });

  test('cancel while connecting: cancelled, at once', async () => {
    const listener = await startStalledListener();
    try {
      const task = session.streamTask('127.0.0.1', listener.port);
      task.resume();
      task.cancel();
      expectCode((await settle(task.opened)).error, 'cancelled', -999);
      await settle(task.closed);
      expect(task.state).toBe('completed');
    } finally {
      await listener.close();
    }
  });
});

describe('the connection breaks', () => {
  let peer: Peer;
  beforeEach(async () => {
    peer = await startPeer();
  });
  afterEach(async () => {
    await peer.close();
  });

  test('a reset mid-read: the read rejects networkConnectionLost (or sees EOF), the task completes', async () => {
    const task = await session.connect('127.0.0.1', peer.port);
    const remote = await peer.connection();
    const read = settle(task.readData({ minLength: 100 }));
    await remote.waitForBytes(0);
    remote.socket.resetAndDestroy();
    const { value, error } = await read;
    if (error !== undefined) expectCode(error, 'networkConnectionLost', -1005);
    else expect(value?.atEOF).toBe(true);
    await settle(task.closed);
    expect(task.state).toBe('completed');
  });

  test('bytes that arrived before a reset are still delivered, then the error', async () => {
    const task = await session.connect('127.0.0.1', peer.port);
    const remote = await peer.connection();
    remote.socket.write('last words');
    const first = await task.readData({ minLength: 10 });
    expect(Buffer.from(first.data).toString()).toBe('last words');
    remote.socket.write('more');
    await new Promise<void>((resolve) => {
      const check = (): void => (task.bufferedAmount >= 4 ? resolve() : void setImmediate(check));
      check();
    });
    remote.socket.resetAndDestroy();
    await settle(task.closed);
    const kept = await task.readData({ minLength: 4 });
    expect(Buffer.from(kept.data).toString()).toBe('more');
    const after = await settle(task.readData());
    expect(after.error ?? after.value?.atEOF).toBeTruthy();
  });

  test('writes after the peer reset reject networkConnectionLost', async () => {
    const task = await session.connect('127.0.0.1', peer.port);
    const remote = await peer.connection();
    remote.socket.resetAndDestroy();
    await settle(task.closed);
    const { error } = await settle(task.write('anyone?'));
    expect(['networkConnectionLost', 'invalidState']).toContain((error as StreamTaskError).code);
  });

  test('timeoutIntervalForResource ends the whole task with timedOut', async () => {
    const task = await session.connect('127.0.0.1', peer.port, { timeoutIntervalForResource: 150 });
    const read = settle(task.readData());
    expectCode((await read).error, 'timedOut', -1001);
    expect(task.error?.message).toMatch(/the resource time limit ran out after 150 ms/);
    expect((await settle(task.closed)).error).toBe(task.error);
    expect(task.state).toBe('completed');
  });
});

describe('bounded buffering', () => {
  let peer: Peer;
  beforeEach(async () => {
    peer = await startPeer();
  });
  afterEach(async () => {
    await peer.close();
  });

  test('a reader that never reads: the socket pauses at readBufferSize and the sender stalls; nothing is lost', async () => {
    const readBufferSize = 256 * 1024;
    const task = await session.connect('127.0.0.1', peer.port, { readBufferSize });
    const remote = await peer.connection();
    const chunk = Buffer.alloc(64 * 1024);
    let sent = 0;
    // Send until the peer's socket stays full: no 'drain' for 200 ms.
    for (;;) {
      chunk.fill(sent / chunk.length);
      const flowing = remote.socket.write(chunk);
      sent += chunk.length;
      if (flowing) continue;
      const drained = await Promise.race([
        once(remote.socket, 'drain').then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200)),
      ]);
      if (!drained) break;
      if (sent > 512 * 1024 * 1024) throw new Error('the sender never stalled: nothing pushes back');
    }
    expect(task.bufferedAmount).toBeGreaterThanOrEqual(readBufferSize);
    expect(task.bufferedAmount).toBeLessThanOrEqual(readBufferSize + 256 * 1024);
    // Everything the peer wrote arrives, in order, once we read.
    let got = 0;
    while (got < sent) {
      const { data } = await task.readData({ maxLength: 1024 * 1024, timeout: 5000 });
      for (let i = 0; i < data.length; i += 4096) {
        expect(data[i]).toBe(Math.floor((got + i) / chunk.length) & 0xff);
      }
      got += data.length;
    }
    expect(got).toBe(sent);
  });
});
