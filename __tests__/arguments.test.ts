import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Session, StreamTaskError, type StreamTask } from '../lib/index.js';
import { startPeer, type Peer } from './helpers/peer.js';

let peer: Peer;
let session: Session;
let task: StreamTask;

beforeAll(async () => {
  peer = await startPeer();
  session = new Session();
  task = await session.connect('127.0.0.1', peer.port);
});

afterAll(async () => {
  await session[Symbol.asyncDispose]();
  await peer.close();
});

/** Calls `run`, which must return a rejected promise (not throw) with `type` and a message matching `message`. */
async function rejects(run: () => Promise<unknown>, type: typeof TypeError | typeof RangeError, message: RegExp): Promise<void> {
  let promise: Promise<unknown>;
  expect(() => (promise = run())).not.toThrow();
  const error = await promise!.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(message);
}

describe('readData rejects bad options, naming the argument and the range', () => {
  test.each([
    [{ minLength: -1 }, RangeError, /^Expected `minLength` to be an integer from 0 to 65536, got `-1` \(number\)$/],
    [{ minLength: 1.5 }, RangeError, /`minLength`.*got `1\.5`/],
    [{ minLength: NaN }, RangeError, /`minLength`.*got `NaN`/],
    [{ minLength: '4' }, TypeError, /`minLength`.*got `"4"` \(string\)/],
    [{ minLength: 10, maxLength: 5 }, RangeError, /`minLength` to be an integer from 0 to 5, got `10`/],
    [{ maxLength: 0 }, RangeError, /`maxLength` to be an integer from 1 to/],
    [{ maxLength: Infinity }, RangeError, /`maxLength`/],
    [{ timeout: -1 }, RangeError, /^Expected `timeout` to be a number of milliseconds from 0 to 2147483647 \(0 or Infinity for none\), got `-1` \(number\)$/],
    [{ timeout: NaN }, RangeError, /`timeout`.*`NaN`/],
    [{ timeout: 2 ** 31 }, RangeError, /`timeout`/],
    [{ timeout: '5' }, TypeError, /`timeout`/],
    [{ signal: {} }, TypeError, /^Expected `signal` to be an AbortSignal, got `\[object Object\]` \(object\)$/],
    ['fast', TypeError, /^Expected `options` to be an object/],
  ])('readData(%p)', async (options, type, message) => {
    await rejects(() => task.readData(options as never), type, message);
  });

  test('Infinity as a timeout means none', async () => {
    const read = task.readData({ timeout: Infinity, minLength: 1 });
    const remote = await peer.connection();
    remote.socket.write('x');
    await expect(read).resolves.toMatchObject({ atEOF: false });
  });
});

describe('chunks() takes bad options without throwing: its first step rejects', () => {
  test.each([
    [{ maxLength: 0 }, RangeError, /`maxLength` to be an integer from 1/],
    [{ timeout: -1 }, RangeError, /`timeout`/],
    ['fast', TypeError, /`options` to be an object/],
  ])('chunks(%p)', async (options, type, message) => {
    const iterator = task.chunks(options as never);
    await rejects(() => iterator.next(), type, message);
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });
});

describe('write rejects what is not bytes', () => {
  test.each([
    [123, /^Expected `data` to be a Uint8Array, ArrayBufferView, ArrayBuffer or string, got `123` \(number\)$/],
    [null, /`data`.*got `null` \(null\)/],
    [undefined, /`data`.*got `undefined`/],
    [[1, 2, 3], /`data`.*\[object Array\]/],
    ['lone \ud800 surrogate', /^Expected `data` to be a well-formed string \(it has a lone surrogate\)/],
  ])('write(%p)', async (data, message) => {
    await rejects(() => task.write(data as never), TypeError, message);
  });

  test('a detached ArrayBuffer', async () => {
    const buffer = new ArrayBuffer(8);
    structuredClone(buffer, { transfer: [buffer] });
    await rejects(() => task.write(buffer), TypeError, /detached/);
  });

  test('bad write options', async () => {
    await rejects(() => task.write('x', { timeout: -5 }), RangeError, /`timeout`/);
    await rejects(() => task.write('x', { signal: 'stop' as never }), TypeError, /`signal`/);
  });
});

describe('factories throw at once, like new URL()', () => {
  test.each([
    [['127.0.0.1', 0], RangeError, /^Expected `port` to be an integer from 1 to 65535, got `0` \(number\)$/],
    [['127.0.0.1', 65536], RangeError, /`port`.*65536/],
    [['127.0.0.1', 80.5], RangeError, /`port`/],
    [['127.0.0.1', undefined], TypeError, /`port`/],
    [['', 80], TypeError, /^Expected `host` to be a non-empty string/],
    [['bad host', 80], TypeError, /`host` to contain no white space/],
    [[42, 80], TypeError, /`host`/],
    [['127.0.0.1', 80, { readBufferSize: 0 }], RangeError, /`options\.readBufferSize` to be an integer from 1/],
    [['127.0.0.1', 80, { noDelay: 'yes' }], TypeError, /`options\.noDelay` to be a boolean/],
    [['127.0.0.1', 80, { signal: 1 }], TypeError, /`options\.signal`/],
    [['127.0.0.1', 80, { proxy: { http: 'https://p:1' } }], TypeError, /`options\.proxy\.http` to be a http: URL \(other kinds of proxy are not supported\)/],
  ])('streamTask(%p)', (args, type, message) => {
    expect(() => (session.streamTask as (...a: unknown[]) => unknown)(...args)).toThrow(type);
    expect(() => (session.streamTask as (...a: unknown[]) => unknown)(...args)).toThrow(message);
  });

  test('a port given as a string of digits is accepted', () => {
    const made = session.streamTask('127.0.0.1', '80' as never);
    expect(made.port).toBe(80);
    made.cancel();
  });

  test('bad configuration', () => {
    expect(() => new Session({ timeoutIntervalForRequest: -1 })).toThrow(/`configuration\.timeoutIntervalForRequest`/);
    expect(() => new Session({ waitsForConnectivity: 'yes' as never })).toThrow(/`configuration\.waitsForConnectivity` to be a boolean/);
    expect(() => new Session('fast' as never)).toThrow(TypeError);
  });

  test('session.connect rejects instead of throwing', async () => {
    await rejects(() => session.connect('127.0.0.1', 0), RangeError, /`port`/);
  });
});

describe('errors', () => {
  test('StreamTaskError has a stable name, code and URLError number', () => {
    const error = new StreamTaskError('networkConnectionLost', 'x');
    expect(error.name).toBe('StreamTaskError');
    expect(error.urlErrorCode).toBe(-1005);
    expect(error).toBeInstanceOf(Error);
  });
});
