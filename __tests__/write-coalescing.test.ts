import { describe, expect, test } from '@jest/globals';
import { StreamTaskError } from '../lib/index.js';
import { expectCode, useLoopback } from './helpers/fixture.js';
import { settle } from './helpers/peer.js';

const loopback = useLoopback();

describe('small writes in one tick are sent together', () => {
  test('10,000 writes without awaiting arrive in order, each promise resolving', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const writes: Promise<void>[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const piece = `${i.toString(36).padStart(4, '0')},`;
      expected.push(piece);
      writes.push(task.write(piece));
    }
    await Promise.all(writes);
    const received = await remote.waitForBytes(expected.join('').length);
    expect(received.toString()).toBe(expected.join(''));
  });

  test('a batched write aborted before its batch is sent is not sent at all', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const first = task.write('A');
    const controller = new AbortController();
    const dropped = settle(task.write('B', { signal: controller.signal }));
    const last = task.write('C');
    controller.abort();
    const { error } = await dropped;
    expectCode(error, 'cancelled');
    expect((error as StreamTaskError).committedBytes).toBe(0);
    await Promise.all([first, last]);
    await task.closeWrite();
    await remote.ended;
    expect(remote.received().toString()).toBe('AC');
  });

  test('a write after closeWrite is refused, the batch before it still goes out', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const writes = [task.write('1'), task.write('2'), task.write('3')];
    const closed = task.closeWrite();
    const { error } = await settle(task.write('4'));
    expectCode(error, 'invalidState');
    await Promise.all([...writes, closed]);
    await remote.ended;
    expect(remote.received().toString()).toBe('123');
  });
});
