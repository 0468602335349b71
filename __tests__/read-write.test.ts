import { describe, expect, test } from '@jest/globals';
import { StreamTask } from '../lib/index.js';
import { expectCode, text, useLoopback } from './helpers/fixture.js';
import { nextTurn, settle } from './helpers/peer.js';

const loopback = useLoopback();

describe('readData min/max', () => {
  test('resolves as soon as minLength bytes are there, with at most maxLength', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const read = task.readData({ minLength: 5, maxLength: 8 });
    remote.socket.write('abc');
    await remote.waitForBytes(0);
    remote.socket.write('defghijkl');
    const { data, atEOF } = await read;
    expect(data.length).toBeGreaterThanOrEqual(5);
    expect(data.length).toBeLessThanOrEqual(8);
    expect(atEOF).toBe(false);
    const rest = await task.readData({ minLength: 12 - data.length, maxLength: 100 });
    expect(text(data) + text(rest.data)).toBe('abcdefghijkl');
  });

  test('minLength 0 resolves at once with what is buffered, possibly nothing', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const none = await task.readData({ minLength: 0 });
    expect(none).toEqual({ data: new Uint8Array(0), atEOF: false });
    const remote = await loopback.peer.connection();
    remote.socket.write('xyz');
    await task.readData({ minLength: 3, maxLength: 3 }).then(({ data }) => expect(text(data)).toBe('xyz'));
  });

  test('at end of stream before minLength: the rest with atEOF, then empty atEOF every time', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    remote.socket.end('tail');
    const first = await task.readData({ minLength: 100 });
    expect(text(first.data)).toBe('tail');
    expect(first.atEOF).toBe(true);
    for (let i = 0; i < 3; i++) {
      expect(await task.readData({ minLength: 10 })).toEqual({ data: new Uint8Array(0), atEOF: true });
    }
  });

  test('a large minLength above readBufferSize still completes (the socket keeps reading for it)', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port, { readBufferSize: 1024 });
    const remote = await loopback.peer.connection();
    const payload = Buffer.alloc(300_000, 7);
    remote.socket.write(payload);
    const { data } = await task.readData({ minLength: payload.length, maxLength: payload.length, timeout: 5000 });
    expect(Buffer.compare(Buffer.from(data), payload)).toBe(0);
  });
});

describe('ordering', () => {
  test('many interleaved reads and writes keep their order on both lanes', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    // The peer echoes: whatever it gets, it sends back.
    remote.socket.pipe(remote.socket);
    const count = 200;
    const writes: Promise<void>[] = [];
    const reads: Promise<{ data: Uint8Array }>[] = [];
    for (let i = 0; i < count; i++) {
      const line = `${String(i).padStart(4, '0')}\n`;
      writes.push(task.write(line));
      reads.push(task.readData({ minLength: 5, maxLength: 5 }));
    }
    await Promise.all(writes);
    const lines = (await Promise.all(reads)).map(({ data }) => text(data));
    expect(lines).toEqual(Array.from({ length: count }, (_, i) => `${String(i).padStart(4, '0')}\n`));
    expect(task.countOfBytesSent).toBe(count * 5);
    expect(task.countOfBytesReceived).toBe(count * 5);
  });

  test('every byte of a large transfer arrives exactly once, in order', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port, { readBufferSize: 64 * 1024 });
    const remote = await loopback.peer.connection();
    const size = 8 * 1024 * 1024;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + (i >> 11)) & 0xff;
    remote.socket.end(payload);
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let maxLength = 1; ; maxLength = (maxLength * 7) % 70_001 + 1) {
      const { data, atEOF } = await task.readData({ minLength: 1, maxLength });
      parts.push(Buffer.from(data));
      total += data.length;
      if (atEOF) break;
    }
    expect(total).toBe(size);
    expect(Buffer.compare(Buffer.concat(parts), payload)).toBe(0);
  });

  test('writes accept every byte type and strings as UTF-8', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    await task.write(new Uint8Array([0x61]));
    await task.write(new Uint16Array([0x6362]));
    await task.write(new DataView(new Uint8Array([0x64]).buffer));
    await task.write(new Uint8Array([0x65]).buffer);
    await task.write('é');
    await task.write(Buffer.from('f'));
    await task.write(new Uint8Array(0));
    expect((await remote.waitForBytes(8)).toString('utf8')).toBe('abcdeéf');
  });

  test('a pending read never blocks a write', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const read = task.readData({ minLength: 4 });
    await task.write('ping');
    expect((await remote.waitForBytes(4)).toString()).toBe('ping');
    remote.socket.write('pong');
    expect(text((await read).data)).toBe('pong');
  });
});

describe('operations before resume', () => {
  test('enqueued while suspended, they run in order once connected', async () => {
    const task = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    expect(task.state).toBe('suspended');
    expect(task).toBeInstanceOf(StreamTask);
    const write = task.write('early');
    const read = task.readData({ minLength: 2 });
    task.resume();
    expect(task.state).toBe('running');
    const remote = await loopback.peer.connection();
    expect((await remote.waitForBytes(5)).toString()).toBe('early');
    remote.socket.write('ok');
    await write;
    expect(text((await read).data)).toBe('ok');
  });

  test('the options-object form and taskDescription', async () => {
    const task = loopback.session.streamTask({ host: '127.0.0.1', port: loopback.peer.port, taskDescription: 'mail' });
    expect(task.taskDescription).toBe('mail');
    task.taskDescription = 'mail, second try';
    expect(task.taskDescription).toBe('mail, second try');
    expect(loopback.session.tasks).toContain(task);
    task.resume();
    const info = await task.opened;
    expect(info.remotePort).toBe(loopback.peer.port);
    expect(info.remoteAddress).toBe('127.0.0.1');
    expect(info.localPort).toBeGreaterThan(0);
  });

  test('a task from connect() still tells its addresses after the peer reset it (opened, metrics)', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const ourPort = remote.socket.remotePort;
    remote.socket.resetAndDestroy();
    await task.closed.catch(() => {});
    expect(task.error?.code).toBe('networkConnectionLost');
    const info = await task.opened;
    expect(info).toEqual({ localAddress: '127.0.0.1', localPort: ourPort, remoteAddress: '127.0.0.1', remotePort: loopback.peer.port });
    expect(task.opened).toBe(task.opened);
    const { localAddress, localPort, remoteAddress, remotePort } = task.metrics;
    expect({ localAddress, localPort, remoteAddress, remotePort }).toEqual(info);
  });
});

describe('when a write counts as done', () => {
  /** Whether `write` settled before the event loop's next turn (a write the kernel took at once does). */
  const doneAtOnce = (write: Promise<void>): Promise<boolean> =>
    Promise.race([write.then(() => true), nextTurn().then(() => false)]);

  test('a small write the kernel cannot take resolves only once the peer reads; no byte is added or lost', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    remote.socket.pause();
    // Small writes go straight to the kernel until its buffers are full; the first it cannot
    // take whole stays pending.
    const chunks: Buffer[] = [];
    let pending: Promise<void> | null = null;
    for (let i = 0; pending === null && i < 32_768; i++) {
      const chunk = Buffer.alloc(4096, i % 251);
      chunks.push(chunk);
      const write = task.write(chunk);
      if (!(await doneAtOnce(write))) pending = write;
    }
    expect(pending).not.toBeNull();
    expect(task.countOfBytesSent).toBe((chunks.length - 1) * 4096);
    const behind = task.write('end');
    expect(await doneAtOnce(behind)).toBe(false);
    remote.socket.resume();
    await pending;
    await behind;
    const sent = Buffer.concat([...chunks, Buffer.from('end')]);
    expect(task.countOfBytesSent).toBe(sent.length);
    const received = await remote.waitForBytes(sent.length);
    expect(received.length).toBe(sent.length);
    expect(received.equals(sent)).toBe(true);
  });

  test('a write into a connection the peer has just reset rejects with the reset, and so does the task', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    // The RST is on its way before the write, which the kernel refuses there and then.
    remote.socket.resetAndDestroy();
    const { error } = await settle(task.write('after the reset'));
    expectCode(error, 'networkConnectionLost');
    await task.closed.catch(() => {});
    expectCode(task.error, 'networkConnectionLost');
    expect(task.countOfBytesSent).toBe(0);
  });
});
