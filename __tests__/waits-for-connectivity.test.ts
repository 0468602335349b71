import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { once } from 'node:events';
import net from 'node:net';
import { Session, type StreamTask } from '../lib/index.js';
import { expectCode } from './helpers/fixture.js';
import { settle, unusedPort } from './helpers/peer.js';

let session: Session;
beforeEach(() => {
  session = new Session({ waitsForConnectivity: true, timeoutIntervalForRequest: 1000 });
});
afterEach(async () => {
  await session[Symbol.asyncDispose]();
});

function waitingEvents(task: StreamTask): { count: number } {
  const seen = { count: 0 };
  task.addEventListener('waitingforconnectivity', () => seen.count++);
  return seen;
}

describe('waitsForConnectivity', () => {
  test('a refused connect waits, then connects when the server appears; the event fires once', async () => {
    const port = await unusedPort();
    const task = session.streamTask('127.0.0.1', port);
    const seen = waitingEvents(task);
    const greeting = task.readLine();
    task.resume();
    await once(task, 'waitingforconnectivity');
    expect(task.state).toBe('running');
    // The server comes up later, after a few failed attempts.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const server = net.createServer((socket) => socket.end('finally\n'));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    try {
      expect(await greeting).toBe('finally');
      expect(seen.count).toBe(1);
      const info = await task.opened;
      expect(info.remotePort).toBe(port);
    } finally {
      task.cancel();
      await settle(task.closed);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('waiting ends with timedOut when the resource time runs out', async () => {
    const port = await unusedPort();
    const started = Date.now();
    const result = await settle(session.connect('127.0.0.1', port, { timeoutIntervalForResource: 600 }));
    expect(expectCode(result.error, 'timedOut').message).toMatch(/the resource time limit ran out after 600 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
  });

  test('cancel stops waiting at once', async () => {
    const port = await unusedPort();
    const task = session.streamTask('127.0.0.1', port);
    task.resume();
    await once(task, 'waitingforconnectivity');
    const started = Date.now();
    task.cancel('no more waiting');
    expectCode((await settle(task.closed)).error, 'cancelled');
    expect(Date.now() - started).toBeLessThan(100);
  });

  test('without it, a refused connect fails at once', async () => {
    const port = await unusedPort();
    expectCode((await settle(session.connect('127.0.0.1', port, { waitsForConnectivity: false }))).error, 'cannotConnectToHost');
  });

  test('a name that does not exist is not waited for', async () => {
    expectCode((await settle(session.connect('no-such-host.invalid', 80))).error, 'cannotFindHost');
  });
});
