/**
 * diagnostics_channel: each moment of a task's life on its named channel, in order, with what a
 * tracer needs (the task, the addresses, the TLS details, the error, the metrics).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import diagnostics from 'node:diagnostics_channel';
import { CHANNELS, Session, type StreamTask, type TaskCloseMessage, type TaskErrorMessage, type TaskOpenMessage, type TaskSecureMessage } from '../lib/index.js';
import { makeCertificates, type TestCertificates } from './helpers/certificates.js';
import { startPeer, settle, unusedPort, type Peer } from './helpers/peer.js';
import { startTlsEchoPeer } from './helpers/tls-peers.js';

type Seen = { channel: keyof typeof CHANNELS; message: { task: StreamTask } };

let seen: Seen[];
const listeners = new Map<string, (message: unknown) => void>();
let certs: TestCertificates;
let session: Session;

beforeAll(() => {
  certs = makeCertificates();
});
afterAll(() => certs.remove());
beforeEach(() => {
  seen = [];
  session = new Session({ timeoutIntervalForRequest: 5000 });
  for (const [channel, name] of Object.entries(CHANNELS)) {
    const listener = (message: unknown): void => {
      seen.push({ channel: channel as keyof typeof CHANNELS, message: message as Seen['message'] });
    };
    listeners.set(name, listener);
    diagnostics.subscribe(name, listener);
  }
});
afterEach(async () => {
  await session[Symbol.asyncDispose]();
  for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
  listeners.clear();
});

const of = (task: StreamTask): string[] => seen.filter((s) => s.message.task === task).map((s) => s.channel);

describe('the channels', () => {
  test('the names are streamtask:task:*', () => {
    expect(Object.values(CHANNELS)).toEqual([
      'streamtask:task:create', 'streamtask:task:open', 'streamtask:task:secure', 'streamtask:task:error', 'streamtask:task:close',
    ]);
  });

  test('a plain task: create, open (with the addresses), close (clean, with metrics)', async () => {
    const peer: Peer = await startPeer();
    try {
      const task = await session.connect('127.0.0.1', peer.port);
      const open = seen.find((s) => s.channel === 'open')!.message as TaskOpenMessage;
      expect(open.connection.remoteAddress).toBe('127.0.0.1');
      expect(open.connection.remotePort).toBe(peer.port);
      await task.closeWrite();
      task.closeRead();
      await task.closed;
      expect(of(task)).toEqual(['create', 'open', 'close']);
      const close = seen.find((s) => s.channel === 'close')!.message as TaskCloseMessage;
      expect(close.error).toBeNull();
      expect(close.metrics.connectEndDate).toBeInstanceOf(Date);
    } finally {
      await peer.close();
    }
  });

  test('TLS from the start: secure (with the negotiated details) comes before open', async () => {
    const peer = await startTlsEchoPeer({ key: certs.leaf.key, cert: certs.leaf.cert });
    try {
      const task = await session.connect('localhost', peer.port, { tls: { ca: certs.ca } });
      task.cancel();
      await task.closed.catch(() => {});
      expect(of(task)).toEqual(['create', 'secure', 'open', 'error', 'close']);
      const secure = seen.find((s) => s.channel === 'secure')!.message as TaskSecureMessage;
      expect(secure.secure.servername).toBe('localhost');
      expect(secure.secure.protocol).toMatch(/^TLSv1\.[23]$/);
      const error = seen.find((s) => s.channel === 'error')!.message as TaskErrorMessage;
      expect(error.error.code).toBe('cancelled');
    } finally {
      await peer.close();
    }
  });

  test('a refused connection: create, error (cannotConnectToHost), close with the error', async () => {
    const { error } = await settle(session.connect('127.0.0.1', await unusedPort()));
    const task = seen[0]!.message.task;
    expect(of(task)).toEqual(['create', 'error', 'close']);
    const failed = seen.find((s) => s.channel === 'error')!.message as TaskErrorMessage;
    expect(failed.error).toBe(error);
    expect(failed.error.code).toBe('cannotConnectToHost');
    expect((seen.find((s) => s.channel === 'close')!.message as TaskCloseMessage).error).toBe(error);
  });

  test('without subscribers nothing is published (the channels say so)', async () => {
    for (const [name, listener] of listeners) diagnostics.unsubscribe(name, listener);
    listeners.clear();
    for (const name of Object.values(CHANNELS)) expect(diagnostics.channel(name).hasSubscribers).toBe(false);
    const peer: Peer = await startPeer();
    try {
      const task = await session.connect('127.0.0.1', peer.port);
      task.cancel();
      await task.closed.catch(() => {});
      expect(seen).toEqual([]);
    } finally {
      await peer.close();
    }
  });
});
