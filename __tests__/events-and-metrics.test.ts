import { once, getEventListeners, setMaxListeners } from 'node:events';
import { describe, expect, test } from '@jest/globals';
import { Session, StreamTaskProgressEvent, type StreamTask, type StreamTaskDelegate } from '../lib/index.js';
import { useLoopback } from './helpers/fixture.js';

const loopback = useLoopback();

const EVENTS = ['statechange', 'open', 'progress', 'streamscaptured', 'readclosed', 'writeclosed', 'complete'];

function recordEvents(task: StreamTask): string[] {
  const seen: string[] = [];
  for (const type of EVENTS) {
    task.addEventListener(type, () => seen.push(type === 'statechange' ? `statechange:${task.state}` : type));
  }
  return seen;
}

function recordingDelegate(seen: string[]): StreamTaskDelegate<StreamTask> {
  return {
    didChangeState: (_task, state) => seen.push(`didChangeState:${state}`),
    didOpen: () => seen.push('didOpen'),
    didUpdateProgress: () => seen.push('didUpdateProgress'),
    readClosed: () => seen.push('readClosed'),
    writeClosed: () => seen.push('writeClosed'),
    didFinishCollectingMetrics: () => seen.push('didFinishCollectingMetrics'),
    didCompleteWithError: (_task, error) => seen.push(`didCompleteWithError:${error?.code ?? null}`),
  };
}

/** Removes repeats of the same entry in a row (progress may come once or more). */
const squeeze = (list: string[]): string[] => list.filter((item, i) => item !== list[i - 1]);

describe('events and the delegate', () => {
  test('a whole life, in the documented order, on the task and on the delegate', async () => {
    const delegated: string[] = [];
    const session = new Session({}, recordingDelegate(delegated));
    try {
      const task = session.streamTask('127.0.0.1', loopback.peer.port);
      const seen = recordEvents(task);
      task.resume();
      const remote = await loopback.peer.connection();
      await task.write('hello');
      remote.socket.end('bye');
      await task.readData({ minLength: 3 });
      await task.closeWrite();
      await task.readData();
      await task.closed;
      // The fixed points of the order; the two closes may come either way round (whose FIN is first).
      const order = squeeze(seen).filter((item) => item !== 'progress');
      expect(order.slice(0, 2)).toEqual(['statechange:running', 'open']);
      expect(order.slice(2, 4).sort()).toEqual(['readclosed', 'writeclosed']);
      expect(order.slice(4)).toEqual(['statechange:completed', 'complete']);
      expect(seen.indexOf('progress')).toBeGreaterThan(seen.indexOf('open'));
      expect(seen.lastIndexOf('progress')).toBeLessThan(seen.indexOf('statechange:completed'));
      const calls = squeeze(delegated).filter((item) => item !== 'didUpdateProgress');
      expect(calls.slice(0, 2)).toEqual(['didChangeState:running', 'didOpen']);
      expect(calls.slice(2, 4).sort()).toEqual(['readClosed', 'writeClosed']);
      expect(calls.slice(4)).toEqual(['didChangeState:completed', 'didFinishCollectingMetrics', 'didCompleteWithError:null']);
    } finally {
      await session[Symbol.asyncDispose]();
    }
  });

  test('progress is coalesced: a thousand writes do not make a thousand events, and the last counts are exact', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const events: StreamTaskProgressEvent[] = [];
    task.addEventListener('progress', (event) => events.push(event));
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) writes.push(task.write('0123456789abcdef'));
    await Promise.all(writes);
    await remote.waitForBytes(16_000);
    await task.closeWrite();
    remote.socket.end();
    await task.readData();
    await task.closed;
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(50);
    const last = events.at(-1)!;
    expect(last.countOfBytesSent).toBe(16_000);
    expect(last.countOfBytesReceived).toBe(0);
  });
});

describe('a task is an EventTarget whose listener tables are made on first use', () => {
  test("Node's EventTarget helpers work on a task that never had a listener", async () => {
    const task = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    expect(task).toBeInstanceOf(EventTarget);
    // No listener, no tables (the memory of an idle task); Node's helpers still see an EventTarget.
    expect(Object.getOwnPropertySymbols(task)).toEqual([]);
    expect(getEventListeners(task, 'open')).toEqual([]);
    task.removeEventListener('open', () => {});
    setMaxListeners(3, task);
    const listeners = Array.from({ length: 3 }, () => () => {});
    for (const listener of listeners) task.addEventListener('statechange', listener);
    expect(getEventListeners(task, 'statechange')).toEqual(listeners);
    const opened = once(task, 'open');
    task.resume();
    const [event] = (await opened) as [Event];
    expect(event.target).toBe(task);
    expect(event.currentTarget).toBe(null); // after dispatch, as for any EventTarget
  });

  test('a dispatch of your own reaches listeners, with the task as its target', () => {
    const task = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    const fresh = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    const targets: unknown[] = [];
    task.addEventListener('custom', (event) => targets.push(event.target));
    expect(task.dispatchEvent(new Event('custom'))).toBe(true);
    expect(fresh.dispatchEvent(new Event('custom'))).toBe(true);
    expect(targets).toEqual([task]);
    task.cancel();
    fresh.cancel();
  });
});

describe('metrics', () => {
  test('dates are present and in order; counts and addresses match', async () => {
    const task = await loopback.session.connect('localhost', loopback.peer.port);
    const remote = await loopback.peer.connection();
    await task.write('12345');
    remote.socket.write('abc');
    await task.readData({ minLength: 3 });
    const m = task.metrics;
    expect(m.fetchStartDate).toBeInstanceOf(Date);
    expect(m.domainLookupStartDate).toBeInstanceOf(Date);
    expect(m.domainLookupEndDate).toBeInstanceOf(Date);
    const times = [m.fetchStartDate, m.domainLookupStartDate, m.domainLookupEndDate, m.connectStartDate, m.connectEndDate].map((d) => d!.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(m.countOfBytesSent).toBe(5);
    expect(m.countOfBytesReceived).toBe(3);
    expect(m.remotePort).toBe(loopback.peer.port);
    expect(m.localPort).toBeGreaterThan(0);
    expect(m.secureConnectionStartDate).toBeNull();
    expect(m.isProxyConnection).toBe(false);
  });

  test('an address literal has no lookup dates', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    expect(task.metrics.domainLookupStartDate).toBeNull();
    expect(task.metrics.connectStartDate).toEqual(task.metrics.fetchStartDate);
  });
});
