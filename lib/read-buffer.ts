/**
 * The bytes that arrived and no reader has taken yet: a queue of chunks (views into the slabs the
 * socket read into). Taking bytes that lie in one chunk returns a view, with no copy; only a read
 * that spans chunks copies, once, into a new buffer of exactly the size returned.
 */
export class ReadBuffer {
  /**
   * Chunks from #head to #tail. Slots are reused rather than the array truncated: setting an
   * array's length calls into V8's runtime, and the next push would grow it again, on every
   * read that empties the buffer.
   */
  #chunks: Array<Buffer | undefined> = [];
  #head = 0;
  #tail = 0;
  #length = 0;

  /** Bytes waiting. */
  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#tail === this.#chunks.length) this.#chunks.push(chunk);
    else this.#chunks[this.#tail] = chunk;
    this.#tail++;
    this.#length += chunk.length;
  }

  /** Puts bytes back at the front (bytes that belong before everything buffered). */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#head > 0) {
      this.#chunks[--this.#head] = chunk;
    } else {
      this.#chunks.splice(0, 0, chunk);
      this.#tail++;
    }
    this.#length += chunk.length;
  }

  /**
   * Removes and returns at least `min` (the caller checked they are there) and at most `max`
   * bytes. When the first chunk alone holds `min`, returns a view of it, up to `max`, with no
   * copy; otherwise copies as many bytes as are buffered, up to `max`, into one new buffer.
   */
  take(min: number, max: number): Buffer {
    const first = this.#chunks[this.#head];
    if (first === undefined) return EMPTY;
    if (first.length >= min && first.length > 0) {
      if (first.length <= max) {
        this.#dropFirst();
        return first;
      }
      this.#chunks[this.#head] = first.subarray(max);
      this.#length -= max;
      return first.subarray(0, max);
    }
    return this.#copyOut(Math.min(max, this.#length));
  }

  /** Removes and returns the first chunk as it came (empty if nothing is buffered). */
  shift(): Buffer {
    const first = this.#chunks[this.#head];
    if (first === undefined) return EMPTY;
    this.#dropFirst();
    return first;
  }

  /** The byte at `offset` from the front, without taking it (the caller checked it is there). */
  byteAt(offset: number): number {
    let index = this.#head;
    while (offset >= this.#chunks[index]!.length) offset -= this.#chunks[index++]!.length;
    return this.#chunks[index]![offset]!;
  }

  /** Removes and returns exactly `count` bytes (the caller checked they are there). */
  takeExactly(count: number): Buffer {
    const first = this.#chunks[this.#head];
    if (count === 0 || first === undefined) return EMPTY;
    if (first.length >= count) return this.take(count, count);
    return this.#copyOut(count);
  }

  /**
   * Where `delimiter` first starts, searching the first `limit` bytes, or -1. Starts at `from`
   * so a reader that waits for more bytes does not search the same bytes again.
   */
  indexOf(delimiter: Uint8Array, from: number, limit: number): number {
    const end = Math.min(limit, this.#length);
    if (delimiter.length === 0) return from <= end ? from : -1;
    // Fast path: everything searched lies in the first chunk.
    const first = this.#chunks[this.#head];
    if (first !== undefined && first.length >= end) {
      const at = first.subarray(0, end).indexOf(delimiter, from);
      return at;
    }
    // Spanning chunks: compare byte by byte across chunk boundaries.
    for (let start = from; start + delimiter.length <= end; start++) {
      if (this.#matchesAt(delimiter, start)) return start;
    }
    return -1;
  }

  /** Moves as many bytes as fit into `target` (one copy, straight from the chunks); returns the count. */
  copyInto(target: Uint8Array): number {
    const count = Math.min(target.length, this.#length);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#chunks[this.#head]!;
      const want = count - filled;
      if (chunk.length <= want) {
        target.set(chunk, filled);
        filled += chunk.length;
        this.#dropFirst();
      } else {
        target.set(chunk.subarray(0, want), filled);
        this.#chunks[this.#head] = chunk.subarray(want);
        this.#length -= want;
        filled += want;
      }
    }
    return count;
  }

  /** Drops everything. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#tail = 0;
    this.#length = 0;
  }

  /** Removes and returns every chunk, in order (for handing the bytes to a new owner). */
  drain(): Buffer[] {
    const chunks = this.#chunks.slice(this.#head, this.#tail) as Buffer[];
    this.clear();
    return chunks;
  }

  #matchesAt(delimiter: Uint8Array, start: number): boolean {
    let index = this.#head;
    let offset = start;
    while (index < this.#tail && offset >= this.#chunks[index]!.length) {
      offset -= this.#chunks[index]!.length;
      index++;
    }
    for (let i = 0; i < delimiter.length; i++) {
      const chunk = index < this.#tail ? this.#chunks[index] : undefined;
      if (chunk === undefined || chunk[offset] !== delimiter[i]) return false;
      if (++offset === chunk.length) {
        index++;
        offset = 0;
      }
    }
    return true;
  }

  #copyOut(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    this.copyInto(out);
    return out;
  }

  #dropFirst(): void {
    const chunk = this.#chunks[this.#head]!;
    this.#length -= chunk.length;
    this.#chunks[this.#head] = undefined;
    this.#head++;
    if (this.#head === this.#tail) {
      // Empty: start again at the front (the slots are all cleared).
      this.#head = this.#tail = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#tail) {
      // Compact now and then so the array does not grow without end.
      this.#chunks = this.#chunks.slice(this.#head, this.#tail);
      this.#tail -= this.#head;
      this.#head = 0;
    }
  }
}

const EMPTY: Buffer = Buffer.alloc(0);
