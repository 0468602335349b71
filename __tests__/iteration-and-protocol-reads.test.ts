import { describe, expect, test } from '@jest/globals';
import type { PeerConnection } from './helpers/peer.js';
import { expectCode, text, useLoopback } from './helpers/fixture.js';
import { settle } from './helpers/peer.js';
import type { StreamTask } from '../lib/index.js';

const loopback = useLoopback();

async function connected(): Promise<{ task: StreamTask; remote: PeerConnection }> {
  const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
  return { task, remote: await loopback.peer.connection() };
}

/** Sends `data` one byte per socket write, each after the previous was flushed, to split every boundary. */
async function trickle(remote: PeerConnection, data: string): Promise<void> {
  for (const byte of Buffer.from(data)) {
    await new Promise<void>((resolve) => remote.socket.write(Buffer.of(byte), () => resolve()));
  }
}

describe('for await', () => {
  test('yields chunks until end of stream', async () => {
    const { task, remote } = await connected();
    remote.socket.end('all of it, in chunks');
    let all = '';
    for await (const chunk of task) all += text(chunk);
    expect(all).toBe('all of it, in chunks');
  });

  test('break keeps the task open and the unread bytes for readData', async () => {
    const { task, remote } = await connected();
    remote.socket.write('first');
    for await (const chunk of task) {
      expect(text(chunk)).toBe('first');
      break;
    }
    remote.socket.write('second');
    expect(text((await task.readData({ minLength: 6 })).data)).toBe('second');
    expect(task.state).toBe('running');
  });

  test('chunks({ maxLength }) bounds each chunk; iteration and readData share the queue', async () => {
    const { task, remote } = await connected();
    remote.socket.end('abcdefghij');
    const head = task.readData({ minLength: 2, maxLength: 2 });
    const seen: string[] = [];
    for await (const chunk of task.chunks({ maxLength: 3 })) seen.push(text(chunk));
    expect(text((await head).data)).toBe('ab');
    expect(seen.join('')).toBe('cdefghij');
    expect(seen.every((part) => part.length <= 3)).toBe(true);
  });

  test('chunks({ timeout }) rejects the iteration without losing the bytes', async () => {
    const { task, remote } = await connected();
    const iteration = settle((async () => {
      for await (const _ of task.chunks({ timeout: 50 })) void _;
    })());
    expectCode((await iteration).error, 'timedOut');
    remote.socket.write('late');
    expect(text((await task.readData({ minLength: 4 })).data)).toBe('late');
  });
});

describe('readExactly', () => {
  test('assembles exactly n bytes across many chunks', async () => {
    const { task, remote } = await connected();
    const read = task.readExactly(6);
    await trickle(remote, 'abcdefgh');
    expect(text(await read)).toBe('abcdef');
    expect(text(await task.readExactly(2))).toBe('gh');
    expect((await task.readExactly(0)).length).toBe(0);
  });

  test('at end of stream: incompleteRead with the count, and the bytes stay', async () => {
    const { task, remote } = await connected();
    remote.socket.end('abc');
    const error = expectCode((await settle(task.readExactly(5))).error, 'incompleteRead');
    expect(error.partialLength).toBe(3);
    expect(error.expectedLength).toBe(5);
    expect(error.message).toMatch(/end of stream after 3 bytes, before 5 bytes/);
    expect(await task.readData({ minLength: 3 })).toEqual({ data: Buffer.from('abc'), atEOF: true });
  });

  test('a length-prefixed frame', async () => {
    const { task, remote } = await connected();
    const body = Buffer.from('framed payload');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(body.length);
    remote.socket.write(Buffer.concat([header, body, Buffer.from('next')]));
    const length = Buffer.from(await task.readExactly(4)).readUInt32BE(0);
    expect(text(await task.readExactly(length))).toBe('framed payload');
    expect(text(await task.readExactly(4))).toBe('next');
  });
});

describe('readUntil', () => {
  test('finds a delimiter split across chunks, and includes it', async () => {
    const { task, remote } = await connected();
    const read = task.readUntil('\r\n');
    await trickle(remote, 'HELLO\r\nREST');
    expect(text(await read)).toBe('HELLO\r\n');
    expect(text(await task.readExactly(4))).toBe('REST');
  });

  test('a delimiter exactly at maxLength is found; one byte beyond is limitOverrun with nothing consumed', async () => {
    const { task, remote } = await connected();
    remote.socket.write('1234\n');
    expect(text(await task.readUntil('\n', { maxLength: 5 }))).toBe('1234\n');
    remote.socket.write('12345\n');
    const error = expectCode((await settle(task.readUntil(new Uint8Array([0x0a]), { maxLength: 5 }))).error, 'limitOverrun');
    expect(error.message).toMatch(/no delimiter within maxLength \(5 bytes\); nothing was consumed/);
    expect(text(await task.readUntil('\n', { maxLength: 6 }))).toBe('12345\n');
  });

  test('an endless line stays bounded: limitOverrun, not memory growth', async () => {
    const { task, remote } = await connected();
    const line = Buffer.alloc(1024 * 1024, 0x61);
    remote.socket.write(line);
    expectCode((await settle(task.readUntil('\n', { maxLength: 64 * 1024, timeout: 5000 }))).error, 'limitOverrun');
    expect(task.bufferedAmount).toBeLessThanOrEqual(1024 * 1024 + 256 * 1024);
  });

  test('end of stream without the delimiter: incompleteRead, bytes stay', async () => {
    const { task, remote } = await connected();
    remote.socket.end('no newline');
    const error = expectCode((await settle(task.readUntil('\n'))).error, 'incompleteRead');
    expect(error.partialLength).toBe(10);
    expect(text((await task.readData({ minLength: 10 })).data)).toBe('no newline');
  });
});

describe('readLine and lines', () => {
  test('LF and CRLF lines, a last line without an ending, then null', async () => {
    const { task, remote } = await connected();
    remote.socket.end('one\r\ntwo\nthré\n\nlast');
    expect(await task.readLine()).toBe('one');
    expect(await task.readLine()).toBe('two');
    expect(await task.readLine()).toBe('thré');
    expect(await task.readLine()).toBe('');
    expect(await task.readLine()).toBe('last');
    expect(await task.readLine()).toBeNull();
    expect(await task.readLine()).toBeNull();
  });

  test('lines() iterates to the end', async () => {
    const { task, remote } = await connected();
    const collected: string[] = [];
    const reading = (async () => {
      for await (const line of task.lines()) collected.push(line);
    })();
    await trickle(remote, 'a\r\nbb\n');
    remote.socket.end('ccc\n');
    await reading;
    expect(collected).toEqual(['a', 'bb', 'ccc']);
  });

  test('bad delimiters and maxLength are argument errors', async () => {
    const { task } = await connected();
    await expect(task.readUntil('')).rejects.toThrow(RangeError);
    await expect(task.readUntil(5 as never)).rejects.toThrow(/Expected `delimiter` to be a non-empty string or Uint8Array/);
    await expect(task.readUntil('abc', { maxLength: 2 })).rejects.toThrow(/`maxLength` to be an integer from 3/);
    await expect(task.readExactly(-1)).rejects.toThrow(/`count`/);
  });
});

describe('lines already buffered take no queue, and keep their place in it', () => {
  test('a readLine behind a waiting read waits its turn, though its line is buffered', async () => {
    const { task, remote } = await connected();
    const exact = task.readExactly(10);
    remote.socket.write('abc\n');
    await remote.waitForBytes(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const line = task.readLine();
    remote.socket.write('defghij\n');
    expect(text(await exact)).toBe('abc\ndefghi');
    expect(await line).toBe('j');
  });

  test('many pipelined lines, taken from one chunk, in order', async () => {
    const { task, remote } = await connected();
    const sent = Array.from({ length: 2000 }, (_, i) => `:${i}`);
    remote.socket.end(sent.map((line) => `${line}\r\n`).join(''));
    const got: string[] = [];
    for (let i = 0; i < 1000; i++) got.push((await task.readLine())!);
    for (let i = 0; i < 500; i++) got.push(text(await task.readUntil('\r\n')).slice(0, -2));
    for await (const line of task.lines()) got.push(line);
    expect(got).toEqual(sent);
  });

  test('lines(): after a step times out, the next one reads the line (nothing lost)', async () => {
    const { task, remote } = await connected();
    const lines = task.lines({ timeout: 50 });
    remote.socket.write('first\nsec');
    expect(await lines.next()).toEqual({ value: 'first', done: false });
    expectCode((await settle(lines.next())).error, 'timedOut');
    remote.socket.end('ond\n');
    expect(await lines.next()).toEqual({ value: 'second', done: false });
    expect(await lines.next()).toEqual({ value: undefined, done: true });
  });

  test('readUntil with different string delimiters in turn uses each one', async () => {
    const { task, remote } = await connected();
    remote.socket.write('a\r\nbENDc\r\n');
    expect(text(await task.readUntil('\r\n'))).toBe('a\r\n');
    expect(text(await task.readUntil('END'))).toBe('bEND');
    expect(text(await task.readUntil('\r\n'))).toBe('c\r\n');
  });

  test('an aborted signal rejects even when the line is buffered, and the line stays', async () => {
    const { task, remote } = await connected();
    remote.socket.write('kept\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const controller = new AbortController();
    controller.abort();
    expectCode((await settle(task.readLine({ signal: controller.signal }))).error, 'cancelled');
    expect(await task.readLine()).toBe('kept');
  });
});
