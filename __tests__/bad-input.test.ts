/**
 * The rows of docs/errors.md that arguments.test.ts does not cover: protocol-read arguments,
 * operations in the wrong state, and misuse of tasks and sessions. Each must fail at once with an
 * error naming the argument and its range, or the state; none may hang.
 */
import { describe, expect, test } from '@jest/globals';
import { constants as bufferConstants } from 'node:buffer';
import { Session, type StreamTask } from '../lib/index.js';
import { expectCode, useLoopback } from './helpers/fixture.js';

const loopback = useLoopback();

async function failure(run: () => Promise<unknown>): Promise<Error> {
  return run().then(() => { throw new Error('expected a failure'); }, (error: Error) => error);
}

describe('protocol reads name their argument and range', () => {
  test.each<[string, (task: StreamTask) => Promise<unknown>, typeof TypeError, RegExp]>([
    ['readExactly(-1)', (t) => t.readExactly(-1), RangeError, new RegExp(`^Expected \`count\` to be an integer from 0 to ${bufferConstants.MAX_LENGTH}, got \`-1\` \\(number\\)$`)],
    ['readExactly(NaN)', (t) => t.readExactly(NaN), RangeError, /`count`.*`NaN`/],
    ['readExactly() without a count', (t) => (t.readExactly as () => Promise<Uint8Array>)(), TypeError, new RegExp(`^Expected \`count\` to be an integer from 0 to ${bufferConstants.MAX_LENGTH}, got undefined$`)],
    ['readExactly("4")', (t) => t.readExactly('4' as never), TypeError, /`count`.*`"4"` \(string\)/],
    ["readUntil('')", (t) => t.readUntil(''), RangeError, /`delimiter` to be a non-empty string or Uint8Array, got an empty one/],
    ['readUntil(42)', (t) => t.readUntil(42 as never), TypeError, /`delimiter`/],
    ['readUntil maxLength below the delimiter', (t) => t.readUntil('abc', { maxLength: 2 }), RangeError, /`maxLength` to be an integer from 3 to/],
    ['readLine({ maxLength: -1 })', (t) => t.readLine({ maxLength: -1 }), RangeError, /`maxLength` to be an integer from 1 to/],
    ['readData maxLength beyond 2^53', (t) => t.readData({ maxLength: 2 ** 53 }), RangeError, /`maxLength` to be an integer from 1 to 9007199254740991, got `9007199254740992`/],
    ['readLine timeout Infinity-like string', (t) => t.readLine({ timeout: 'never' as never }), TypeError, /`timeout`/],
  ])('%s', async (_name, run, type, message) => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    let returned: Promise<unknown> | undefined;
    expect(() => (returned = run(task))).not.toThrow();
    const error = await failure(() => returned!);
    expect(error).toBeInstanceOf(type);
    expect(error.message).toMatch(message);
  });
});

test('a read with a bad argument consumes nothing and holds up no read behind it', async () => {
  const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
  (await loopback.peer.connection()).socket.write('abcdef');
  const bad = (task.readExactly as () => Promise<Uint8Array>)();
  const next = task.readExactly(6, { timeout: 2000 });
  await expect(bad).rejects.toThrow(TypeError);
  expect(Buffer.from(await next).toString()).toBe('abcdef');
});

describe('operations in the wrong state say which state', () => {
  test('after captureStreams: every task operation is invalidState, naming the hand-over', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const { writable } = await task.captureStreams();
    for (const run of [() => task.readData(), () => task.write('x'), () => task.captureStreams(), () => task.startSecureConnection(),
      () => task.closeRead(), () => task.closeWrite()]) {
      const error = await failure(run);
      expectCode(error, 'invalidState');
      expect(error.message).toMatch(/handed over by captureStreams\(\)/);
    }
    await writable.abort();
  });

  test('after cancel: cancelled, also for closed; after closeWrite and closeRead: invalidState naming the call', async () => {
    const cancelled = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    cancelled.cancel();
    for (const run of [() => cancelled.readData(), () => cancelled.write('x'), () => cancelled.closed]) expectCode(await failure(run), 'cancelled');
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    await task.closeWrite();
    expect((await failure(() => task.write('x'))).message).toMatch(/closed by closeWrite\(\)/);
    expect(task.closeRead()).toBe(task.closeRead());
    expect((await failure(() => task.readData())).message).toMatch(/closed by closeRead\(\)/);
  });

  test('after a clean completion: reads say atEOF, writes are refused', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    remote.socket.end();
    await task.closeWrite();
    expect(await task.readData()).toEqual({ data: new Uint8Array(0), atEOF: true });
    await task.closed;
    expect(task.state).toBe('completed');
    expect(await task.readData()).toEqual({ data: new Uint8Array(0), atEOF: true });
    expectCode(await failure(() => task.write('late')), 'invalidState');
  });

  test('resume twice is a no-op; cancel during connect rejects opened and closed with cancelled', async () => {
    const task = loopback.session.streamTask('127.0.0.1', loopback.peer.port);
    task.resume();
    task.resume();
    task.cancel();
    expectCode(await failure(() => task.opened), 'cancelled');
    expectCode(await failure(() => task.closed), 'cancelled');
  });

  test('a session used after invalidation: invalidState naming the fix', async () => {
    const session = new Session();
    session.invalidateAndCancel();
    expect(() => session.streamTask('127.0.0.1', loopback.peer.port)).toThrow(/the session was invalidated; make a new Session/);
    expectCode(await failure(() => session.connect('127.0.0.1', loopback.peer.port)), 'invalidState');
    await session[Symbol.asyncDispose]();
  });
});
