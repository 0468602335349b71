/**
 * Plain TCP reads land in a scratch buffer the process shares (small reads, copied out) or in
 * slabs a socket owns (bulk, handed out as views). Either way a chunk must stay valid for as long
 * as anyone holds it: no later read, of this socket or another, may write into it.
 */
import { describe, expect, test } from '@jest/globals';
import { useLoopback } from './helpers/fixture.js';

const loopback = useLoopback();

/** `length` bytes of a pattern no shift of itself repeats within 251 bytes (251 is prime). */
function pattern(length: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i + seed) % 251;
  return bytes;
}

describe('chunks stay valid after later reads', () => {
  test('bulk: every chunk kept unread until the end still holds its bytes', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    const sent = pattern(8 * 1024 * 1024, 7);
    remote.socket.end(sent);
    const kept: Uint8Array[] = [];
    for await (const chunk of task) kept.push(chunk);
    expect(Buffer.concat(kept).equals(sent)).toBe(true);
  });

  test('small reads of two sockets share the scratch buffer without overwriting each other', async () => {
    const one = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const first = await loopback.peer.connection();
    const two = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const second = await loopback.peer.connection();
    const keptOne: Uint8Array[] = [];
    const keptTwo: Uint8Array[] = [];
    for (let round = 0; round < 50; round++) {
      first.socket.write(pattern(100, round));
      second.socket.write(pattern(100, 100 + round));
      keptOne.push((await one.readExactly(100)));
      keptTwo.push((await two.readExactly(100)));
    }
    keptOne.forEach((chunk, round) => expect(Buffer.from(chunk).equals(pattern(100, round))).toBe(true));
    keptTwo.forEach((chunk, round) => expect(Buffer.from(chunk).equals(pattern(100, 100 + round))).toBe(true));
  });

  test('a bulk socket and a small one, interleaved: both streams arrive intact', async () => {
    const bulk = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const bulkPeer = await loopback.peer.connection();
    const small = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const smallPeer = await loopback.peer.connection();
    const big = pattern(4 * 1024 * 1024, 3);
    bulkPeer.socket.end(big);
    const tiny: Buffer[] = [];
    const ticker = setInterval(() => {
      const piece = pattern(37, tiny.length);
      tiny.push(piece);
      smallPeer.socket.write(piece);
    }, 1);
    const keptBulk: Uint8Array[] = [];
    for await (const chunk of bulk) keptBulk.push(chunk);
    clearInterval(ticker);
    smallPeer.socket.end();
    const keptSmall: Uint8Array[] = [];
    for await (const chunk of small) keptSmall.push(chunk);
    expect(Buffer.concat(keptBulk).equals(big)).toBe(true);
    expect(Buffer.concat(keptSmall).equals(Buffer.concat(tiny))).toBe(true);
  });

  test('chunks that are views are 8-byte aligned when small, so typed views of them work', async () => {
    const task = await loopback.session.connect('127.0.0.1', loopback.peer.port);
    const remote = await loopback.peer.connection();
    for (const size of [3, 9, 17]) {
      remote.socket.write(pattern(size, size));
      const chunk = await task.readExactly(size);
      expect(chunk.byteOffset % 8).toBe(0);
    }
  });
});
