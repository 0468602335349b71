/**
 * Where a plain TCP socket's bytes land (Node's `onread`): owns the scratch buffer, the slabs and
 * the choice between them; it must not look at the task or its read buffer (it hands each chunk to
 * a sink). Every chunk it hands on stays valid: no memory a chunk points into is ever read into again.
 *
 * Why two ways. A socket that moves bulk reads into a slab of its own and the chunks are views of
 * it: no copy, no allocation per read. A socket that is idle or moves small messages reads into
 * one 64 KiB scratch buffer the whole process shares (reads are synchronous, one socket at a
 * time), and its few bytes are copied out into a shared slab: an idle connection holds no read
 * memory at all, where Node's own path would allocate 64 KiB per read and a slab per socket would
 * hold 256 KiB per connection. Which way the next read goes is decided by the size of the last.
 */
import type * as net from 'node:net';
import {
  MIN_SLAB_READ_BYTES,
  READ_SLAB_BYTES,
  SCRATCH_BELOW_BYTES,
  SCRATCH_READ_BYTES,
  SLAB_AFTER_BYTES,
  SMALL_CHUNK_SLAB_BYTES,
} from '../constants.js';

/** Takes one chunk (`this` is the socket); false pauses the socket. */
export type ChunkSink = (this: net.Socket, chunk: Buffer) => boolean;

/**
 * Takes bytes straight into a reader's own memory: up to `count` from the start of `source`, which
 * is valid only during the call. Returns how many it took (0 when no reader is waiting).
 */
export type DirectTaker = (source: Buffer, count: number) => number;

const EXCLUSIVE = Symbol('streamtask.exclusiveChunks');
const DIRECT = Symbol('streamtask.directReads');
type ReadingSocket = net.Socket & { [EXCLUSIVE]?: true; [DIRECT]?: DirectTaker | null };

/**
 * From now on each chunk of `socket` is the only view of its memory, so that a web stream may take
 * it over (enqueue transfers the memory) without a copy: a full read keeps the buffer it filled,
 * a shorter one is copied out to its exact size. For captured streams, which then cost what
 * Node's own reads do; everyone else gets views of slabs.
 */
export function exclusiveChunks(socket: net.Socket): void {
  (socket as ReadingSocket)[EXCLUSIVE] = true;
}

/**
 * While `taker` is set, `socket` reads into the scratch buffer and offers each read to `taker`
 * first; what it leaves is a chunk for the sink as usual. For BYOB readers of captured streams:
 * the bytes go from the kernel through the (cache-warm) scratch buffer into the reader's buffer,
 * with no memory allocated per read. null ends it.
 */
export function readDirectly(socket: net.Socket, taker: DirectTaker | null): void {
  (socket as ReadingSocket)[DIRECT] = taker;
}

const scratch = Buffer.allocUnsafeSlow(SCRATCH_READ_BYTES);

/**
 * The buffer for the socket's next read. Node calls the `buffer` function right after each
 * callback, with no `this` and no code of anyone else's in between, so the callback leaves its
 * choice here as its last step; any other caller (a socket being set up) gets the scratch buffer.
 */
let next: Buffer = scratch;

function nextBuffer(): Buffer {
  const buffer = next;
  next = scratch;
  return buffer;
}

let smallSlab = Buffer.allocUnsafeSlow(SMALL_CHUNK_SLAB_BYTES);
let smallUsed = 0;

/** A copy of the scratch buffer's bytes from `start` to `end`, in a shared slab (Node's pool, bigger). */
function copyFromScratch(start: number, end: number): Buffer {
  const count = end - start;
  if (count > SMALL_CHUNK_SLAB_BYTES - smallUsed) {
    if (count > SMALL_CHUNK_SLAB_BYTES >> 1) return Buffer.copyBytesFrom(scratch, start, count);
    smallSlab = Buffer.allocUnsafeSlow(SMALL_CHUNK_SLAB_BYTES);
    smallUsed = 0;
  }
  const chunk = smallSlab.subarray(smallUsed, smallUsed + count);
  scratch.copy(chunk, 0, start, end);
  // Keep the next chunk 8-byte aligned, as Node's pool does, so typed-array views of it work.
  smallUsed += (count + 7) & ~7;
  return chunk;
}

/** The `onread` option for sockets whose chunks go to `sink`: one object, shared by every such socket. */
export function socketReads(sink: ChunkSink): net.OnReadOpts {
  /** A read while a direct taker is set: it gets the bytes first, the sink what it leaves. */
  function offer(socket: ReadingSocket, taker: DirectTaker, nread: number, buffer: Buffer): boolean {
    const taken = taker(buffer, nread);
    let more = true;
    if (taken < nread) more = sink.call(socket, buffer === scratch ? copyFromScratch(taken, nread) : buffer.subarray(taken, nread));
    next = scratch;
    return more;
  }

  function callback(this: ReadingSocket, nread: number, buffer: Uint8Array): boolean {
    const taker = this[DIRECT];
    if (taker !== undefined && taker !== null) return offer(this, taker, nread, buffer as Buffer);
    let chunk: Buffer;
    let following: Buffer;
    if (this[EXCLUSIVE] === true) {
      const full = nread === buffer.length && buffer !== scratch;
      chunk = full ? buffer as Buffer : Buffer.copyBytesFrom(buffer, 0, nread);
      following = full || nread >= SLAB_AFTER_BYTES ? Buffer.allocUnsafeSlow(SCRATCH_READ_BYTES) : scratch;
    } else if (buffer === scratch) {
      chunk = copyFromScratch(0, nread);
      following = nread >= SLAB_AFTER_BYTES ? Buffer.allocUnsafeSlow(READ_SLAB_BYTES) : scratch;
    } else {
      const region = buffer as Buffer;
      chunk = nread === region.length ? region : region.subarray(0, nread);
      if (nread < SCRATCH_BELOW_BYTES) following = scratch;
      else if (region.length - nread >= MIN_SLAB_READ_BYTES) following = region.subarray(nread);
      else following = Buffer.allocUnsafeSlow(READ_SLAB_BYTES);
    }
    const more = sink.call(this, chunk);
    next = following;
    return more;
  }
  return { buffer: nextBuffer, callback };
}
