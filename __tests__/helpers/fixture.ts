/** The usual test setting: a fresh loopback peer and session per test, both closed after it. */
import { afterEach, beforeEach, expect } from '@jest/globals';
import { Session, StreamTaskError } from '../../lib/index.js';
import { startPeer, type Peer } from './peer.js';

export interface Loopback {
  readonly peer: Peer;
  readonly session: Session;
}

export function useLoopback(): Loopback {
  const current = {} as { peer: Peer; session: Session };
  beforeEach(async () => {
    current.peer = await startPeer();
    current.session = new Session();
  });
  afterEach(async () => {
    await current.session[Symbol.asyncDispose]();
    await current.peer.close();
  });
  return current;
}

export const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

/** Asserts `error` is a StreamTaskError with `code` (and `urlErrorCode`, when given). */
export function expectCode(error: unknown, code: string, urlErrorCode?: number): StreamTaskError {
  expect(error).toBeInstanceOf(StreamTaskError);
  expect((error as StreamTaskError).code).toBe(code);
  if (urlErrorCode !== undefined) expect((error as StreamTaskError).urlErrorCode).toBe(urlErrorCode);
  return error as StreamTaskError;
}
