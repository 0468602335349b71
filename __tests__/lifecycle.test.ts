import { describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import { inspect } from 'node:util';
import { Session, StreamTaskCompleteEvent, StreamTaskError, type StreamTask } from '../lib/index.js';
import { delay, settle } from './helpers/peer.js';
import { expectCode, text, useLoopback } from './helpers/fixture.js';

const loopback = useLoopback();

function record(task: StreamTask): string[] {
  const seen: string[] = [];
  for (const type of ['statechange', 'open', 'readclosed', 'writeclosed', 'complete']) {
    task.addEventListener(type, () => seen.push(type === 'statechange' ? `state:${task.state}` : type));
  }
  return seen;
}


describe('half-close', () => {
  test('closeWrite sends FIN after enqueued writes; the peer answers after it; then the task completes', async () => {
    const task = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    const events = record(task);
    task.resume();
    const remote = await loopback.peer.connection();
    task.write('request');
    const closing = task.closeWrite();
    await remote.ended;
    expect(remote.received().toString()).toBe('request');
    await closing;
    // A write after closeWrite is refused at once.
    expectCode((await settle(task.write('more'))).error, 'invalidState');
    remote.socket.end('answer after your FIN');
    let all = '';
    for (;;) {
      const { data, atEOF } = await task.readData();
      all += text(data);
      if (atEOF) break;
    }
    expect(all).toBe('answer after your FIN');
    await task.closed;
    expect(task.state).toBe('completed');
    expect(task.error).toBeNull();
    expect(events).toEqual(['state:running', 'open', 'writeclosed', 'readclosed', 'state:completed', 'complete']);
    expect(loopback.session.tasks).not.toContain(task);
  });

  test('both FINs exchanged before the reader takes the end of stream: still a clean completion', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    remote.socket.end('last');
    await once(task, 'readclosed');
    await task.closeWrite();
    // Node closes the half-open socket by itself now; the task must wait for the reader, not fail.
    await delay(20);
    expect(task.error).toBeNull();
    expect(task.state).toBe('running');
    expect(await task.readData({ minLength: 10 })).toEqual({ data: Buffer.from('last'), atEOF: true });
    await task.closed;
    expect(task.state).toBe('completed');
    expect(task.error).toBeNull();
  });

  test('the peer closes first: readclosed fires, reads drain then see EOF, and writes still work', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const events = record(task);
    const remote = await loopback.peer.connection();
    remote.socket.end('bye');
    const { data, atEOF } = await task.readData({ minLength: 10 });
    expect([text(data), atEOF]).toEqual(['bye', true]);
    expect(events).toContain('readclosed');
    expect(task.state).toBe('running');
    await task.write('still talking');
    expect((await remote.waitForBytes(13)).toString()).toBe('still talking');
    await task.closeWrite();
    await task.closed;
    expect(task.state).toBe('completed');
  });

  test('closeRead waits for enqueued reads, then drops buffered bytes and refuses later reads', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const earlier = task.readData({ minLength: 3, maxLength: 3 });
    const closing = task.closeRead();
    expectCode((await settle(task.readData())).error, 'invalidState');
    remote.socket.write('abcdef');
    expect(text((await earlier).data)).toBe('abc');
    await closing;
    expect(task.bufferedAmount).toBe(0);
    expectCode((await settle(task.readData({ minLength: 0 }))).error, 'invalidState');
    await task.write('writes go on');
    await task.closeWrite();
    await task.closed;
    expect(task.error).toBeNull();
  });

  test('closeWrite and closeRead are idempotent', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    expect(task.closeWrite()).toBe(task.closeWrite());
    expect(task.closeRead()).toBe(task.closeRead());
    await task.closed;
  });
});

describe('cancel', () => {
  test('a dozen pending operations all reject cancelled; state goes canceling then completed', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const events = record(task);
    const remote = await loopback.peer.connection();
    remote.socket.pause();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) pending.push(task.readData({ minLength: 10 }));
    pending.push(task.write(Buffer.alloc(16 * 1024 * 1024)));
    for (let i = 0; i < 5; i++) pending.push(task.write(`w${i}`));
    pending.push(task.closeWrite());
    const reason = new Error('shutting down');
    task.cancel(reason);
    expect(task.state).toBe('canceling');
    const results = await Promise.all(pending.map(settle));
    for (const { error } of results) {
      expectCode(error, 'cancelled');
      expect((error as StreamTaskError).cause).toBe(reason);
    }
    expectCode((await settle(task.closed)).error, 'cancelled');
    expect(task.state).toBe('completed');
    expect(task.error?.code).toBe('cancelled');
    expect(events).toEqual(['state:canceling', 'state:completed', 'complete']);
    // Later operations reject too, and cancel again does nothing.
    expectCode((await settle(task.readData())).error, 'cancelled');
    expectCode((await settle(task.write('x'))).error, 'cancelled');
    task.cancel();
  });

  test("the task's signal cancels it, with the signal's reason as the cause", async () => {
    const controller = new AbortController();
    const task = loopback.session.streamTask('127.0.0.1', loopback.peer.port, { signal: controller.signal });
    task.resume();
    await task.opened;
    const read = settle(task.readData());
    controller.abort('enough');
    const { error } = await read;
    expectCode(error, 'cancelled');
    expect((error as StreamTaskError).cause).toBe('enough');
    await settle(task.closed);
  });

  test('cancel before resume completes the task without connecting', async () => {
    const task = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    const read = settle(task.readData());
    task.cancel();
    expectCode((await read).error, 'cancelled');
    expectCode((await settle(task.opened)).error, 'cancelled');
    expect(task.state).toBe('completed');
  });

  test('the complete event carries the error and the metrics', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const complete = new Promise<StreamTaskCompleteEvent>((resolve) => task.addEventListener('complete', resolve));
    task.cancel();
    const event = await complete;
    expect(event).toBeInstanceOf(StreamTaskCompleteEvent);
    expect(event.error?.code).toBe('cancelled');
    expect(event.metrics.remotePort).toBe(loopback.peer.port);
  });
});

describe('suspend and resume', () => {
  test('a suspended task stops pulling bytes; resume delivers them all in order', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    remote.socket.write('before');
    await task.readData({ minLength: 6 });
    task.suspend();
    expect(task.state).toBe('suspended');
    const received = task.countOfBytesReceived;
    remote.socket.write('while suspended');
    const read = task.readData({ minLength: 15, timeout: 5000 });
    // No event says "bytes reached our kernel but were not pulled": give loopback a moment.
    await delay(50);
    expect(task.countOfBytesReceived).toBe(received);
    expect(task.bufferedAmount).toBe(0);
    task.resume();
    expect(text((await read).data)).toBe('while suspended');
  });
});

describe('session', () => {
  test('finishTasksAndInvalidate refuses new tasks and resolves when the tasks complete', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const finished = loopback.session.finishTasksAndInvalidate();
    expect(() => loopback.session.streamTask('127.0.0.1', loopback.peer.port)).toThrow(StreamTaskError);
    await expect(loopback.session.connect('127.0.0.1', loopback.peer.port)).rejects.toMatchObject({ code: 'invalidState' });
    let done = false;
    void finished.then(() => (done = true));
    const remote = await loopback.peer.connection();
    await task.closeWrite();
    remote.socket.end();
    await task.readData();
    await finished;
    expect(done).toBe(true);
    expect(loopback.session.tasks).toEqual([]);
  });

  test('session.tasks lists live tasks oldest first; a task leaves it from the middle, the front or the back', async () => {
    const tasks = [1, 2, 3, 4].map(() => loopback.session.streamTask('127.0.0.1', loopback.peer.port));
    expect(loopback.session.tasks).toEqual(tasks);
    const [a, b, c, d] = tasks as [StreamTask, StreamTask, StreamTask, StreamTask];
    for (const [task, left] of [[b, [a, c, d]], [a, [c, d]], [d, [c]], [c, []]] as const) {
      task.cancel();
      await settle(task.closed);
      expect(loopback.session.tasks).toEqual(left);
    }
    const later = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    expect(loopback.session.tasks).toEqual([later]);
    later.cancel();
  });

  test('invalidateAndCancel cancels every task', async () => {
    const tasks = await Promise.all([1, 2, 3].map(() => loopback.session.connect('127.0.0.1', loopback.peer.port)));
    expect(loopback.session.tasks).toHaveLength(3);
    expect(new Set(tasks.map((task) => task.taskIdentifier)).size).toBe(3);
    loopback.session.invalidateAndCancel();
    for (const task of tasks) expectCode((await settle(task.closed)).error, 'cancelled');
    expect(loopback.session.tasks).toEqual([]);
  });

  test('await using a session cancels its tasks at the end of the scope', async () => {
    let task: StreamTask;
    {
      await using scoped = new Session();
      task = await scoped.connect('127.0.0.1', loopback.peer.port);
    }
    expect(task.state).toBe('completed');
  });

  test('the shared session cannot be invalidated', async () => {
    Session.shared.invalidateAndCancel();
    await Session.shared.finishTasksAndInvalidate();
    const task = await Session.shared.connect('127.0.0.1', loopback.peer.port);
    await task[Symbol.asyncDispose]();
    expect(task.state).toBe('completed');
    expect(Session.shared).toBe(Session.shared);
  });
});

describe('a task shown or serialized', () => {
  test('console.log and JSON.stringify show its public state, not its machinery', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    await loopback.peer.connection();
    await task.write('hi');
    const shown = inspect(task);
    expect(shown).toMatch(/^StreamTask \{/);
    expect(shown).toContain("state: 'running'");
    expect(shown).toContain('bytesSent: 2');
    expect(shown).not.toMatch(/socket|buffer|flags/);
    expect(JSON.parse(JSON.stringify(task))).toEqual({
      taskIdentifier: task.taskIdentifier, state: 'running', host: '127.0.0.1', port: loopback.peer.port,
      bytesSent: 2, bytesReceived: 0, error: null,
    });
    task.cancel();
    await settle(task.closed);
    expect(JSON.parse(JSON.stringify(task)).error).toBe('cancelled');
  });
});
