import { MIN_READ_BYTES, READ_SLAB_BYTES } from './constants.js';

/**
 * Hands the socket fresh memory to read into (Node's `onread.buffer` generator), so every chunk
 * that arrives is already in memory we own: the read buffer keeps views, never copies. A region
 * is never handed out twice, so a view given to the user can never be overwritten.
 */
export class SlabAllocator {
  #slab: Buffer = Buffer.allocUnsafe(READ_SLAB_BYTES);
  #offset = 0;

  /** The room the next socket read may fill. */
  next(): Buffer {
    if (this.#slab.length - this.#offset < MIN_READ_BYTES) {
      this.#slab = Buffer.allocUnsafe(READ_SLAB_BYTES);
      this.#offset = 0;
    }
    return this.#slab.subarray(this.#offset);
  }

  /** Marks `length` bytes of `room` (the last `next()`) as taken; returns them. */
  commit(room: Buffer, length: number): Buffer {
    this.#offset += length;
    return room.subarray(0, length);
  }
}
