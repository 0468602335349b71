/**
 * The bytes that arrived and no reader has taken yet: a queue of chunks (views into the slabs the
 * socket read into). Taking bytes that lie in one chunk returns a view, with no copy; only a read
 * that spans chunks copies, once, into a new buffer of exactly the size returned.
 *
 * The first chunk has a field of its own, and most of the time it is the only one: a reader that
 * keeps up (each TLS record, each ping-pong answer) never touches an array, and an idle task
 * holds none. Chunks behind it go into an array made the first time a second chunk waits.
 */
export class ReadBuffer {
  /** The chunk reads take from; undefined when nothing is buffered. */
  #first: Buffer | undefined = undefined;
  /**
   * Bytes of #first already taken. Taking a line moves this on instead of making a new view of
   * the rest of the chunk: many small reads from one chunk then allocate nothing for the chunk.
   */
  #start = 0;
  /** The chunks behind #first (see ChunkQueue); made when a second chunk first waits, then kept. */
  #rest: ChunkQueue | null = null;
  #length = 0;

  /** Bytes waiting. */
  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#length += chunk.length;
    if (this.#first === undefined) {
      this.#first = chunk;
      this.#start = 0;
      return;
    }
    const rest = (this.#rest ??= new ChunkQueue());
    const { chunks } = rest;
    if (rest.tail === chunks.length) chunks.push(chunk);
    else chunks[rest.tail] = chunk;
    rest.tail++;
  }

  /** Puts bytes back at the front (bytes that belong before everything buffered). */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#length += chunk.length;
    const first = this.#untaken();
    this.#first = chunk;
    this.#start = 0;
    if (first === undefined) return;
    const rest = (this.#rest ??= new ChunkQueue());
    if (rest.head > 0) {
      rest.chunks[--rest.head] = first;
    } else {
      rest.chunks.splice(0, 0, first);
      rest.tail++;
    }
  }

  /**
   * Removes and returns at least `min` (the caller checked they are there) and at most `max`
   * bytes. When the first chunk alone holds `min`, returns a view of it, up to `max`, with no
   * copy; otherwise copies as many bytes as are buffered, up to `max`, into one new buffer.
   */
  take(min: number, max: number): Buffer {
    const first = this.#first;
    if (first === undefined) return EMPTY;
    const start = this.#start;
    const available = first.length - start;
    if (available >= min) {
      if (available <= max) {
        this.dropFirst();
        return start === 0 ? first : first.subarray(start);
      }
      this.#start = start + max;
      this.#length -= max;
      return first.subarray(start, start + max);
    }
    return this.copyOut(Math.min(max, this.#length));
  }

  /** Removes and returns the first chunk as it came, less what was taken of it (empty if nothing is buffered). */
  shift(): Buffer {
    const first = this.#untaken();
    if (first === undefined) return EMPTY;
    this.dropFirst();
    return first;
  }

  /** The byte at `offset` from the front, without taking it (the caller checked it is there). */
  byteAt(offset: number): number {
    let index = 0;
    let chunk = this.#first!;
    offset += this.#start;
    while (offset >= chunk.length) {
      offset -= chunk.length;
      chunk = this.chunkAt(++index)!;
    }
    return chunk[offset]!;
  }

  /** Removes and returns exactly `count` bytes (the caller checked they are there). */
  takeExactly(count: number): Buffer {
    const first = this.#first;
    if (count === 0 || first === undefined) return EMPTY;
    if (first.length - this.#start >= count) return this.take(count, count);
    return this.copyOut(count);
  }

  /**
   * Removes `count` bytes (the caller checked they are there) and returns them as UTF-8 text,
   * without a final LF or CRLF, and without a leading byte order mark (as TextDecoder drops it).
   * Decoded straight from the chunk when the bytes lie in one: no view, no copy.
   */
  takeLine(count: number): string {
    if (count === 0) return '';
    const first = this.#first!;
    const start = this.#start;
    if (first.length - start < count) return decodeLine(this.copyOut(count), 0, count);
    const line = decodeLine(first, start, start + count);
    if (start + count === first.length) {
      this.dropFirst();
    } else {
      this.#start = start + count;
      this.#length -= count;
    }
    return line;
  }

  /**
   * Where `delimiter` first starts, searching the first `limit` bytes, or -1. Starts at `from`
   * so a reader that waits for more bytes does not search the same bytes again.
   */
  indexOf(delimiter: Uint8Array, from: number, limit: number): number {
    const end = Math.min(limit, this.#length);
    if (delimiter.length === 0) return from <= end ? from : -1;
    // Fast path: everything searched lies in the first chunk.
    const first = this.#first;
    const start = this.#start;
    if (first !== undefined && first.length - start >= end) {
      // Search for the first byte (memchr, Buffer's fastest search) and compare the rest here:
      // Buffer's search for a sequence costs more per call than a short line takes to scan.
      const length = delimiter.length;
      const head = delimiter[0]!;
      const last = start + end - length;
      for (let at = first.indexOf(head, start + from); at >= 0 && at <= last; at = first.indexOf(head, at + 1)) {
        let i = 1;
        while (i < length && first[at + i] === delimiter[i]) i++;
        if (i === length) return at - start;
      }
      return -1;
    }
    // Spanning chunks: compare byte by byte across chunk boundaries.
    for (let at = from; at + delimiter.length <= end; at++) {
      if (this.matchesAt(delimiter, at)) return at;
    }
    return -1;
  }

  /** Moves as many bytes as fit into `target` (one copy, straight from the chunks); returns the count. */
  copyInto(target: Uint8Array): number {
    const count = Math.min(target.length, this.#length);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#first!;
      const start = this.#start;
      const want = count - filled;
      const available = chunk.length - start;
      if (available <= want) {
        chunk.copy(target, filled, start);
        filled += available;
        this.dropFirst();
      } else {
        chunk.copy(target, filled, start, start + want);
        this.#start = start + want;
        this.#length -= want;
        filled += want;
      }
    }
    return count;
  }

  /** Drops everything. */
  clear(): void {
    this.#first = undefined;
    this.#start = 0;
    this.#rest = null;
    this.#length = 0;
  }

  /** Removes and returns every chunk, in order (for handing the bytes to a new owner). */
  drain(): Buffer[] {
    const chunks: Buffer[] = [];
    const first = this.#untaken();
    if (first !== undefined) chunks.push(first);
    const rest = this.#rest;
    if (rest !== null) for (let i = rest.head; i < rest.tail; i++) chunks.push(rest.chunks[i]!);
    this.clear();
    return chunks;
  }

  /** The first chunk less what was taken of it. */
  #untaken(): Buffer | undefined {
    const first = this.#first;
    return first === undefined || this.#start === 0 ? first : first.subarray(this.#start);
  }

  /** The chunk `index` places from the front (0 is #first, whole), or undefined past the last. */
  // TypeScript-private, not #private: #methods cost each instance a brand slot (8 bytes, measured).
  private chunkAt(index: number): Buffer | undefined {
    if (index === 0) return this.#first;
    const rest = this.#rest;
    if (rest === null) return undefined;
    const at = rest.head + index - 1;
    return at < rest.tail ? rest.chunks[at] : undefined;
  }

  private matchesAt(delimiter: Uint8Array, start: number): boolean {
    let index = 0;
    let chunk = this.#first;
    let offset = start + this.#start;
    while (chunk !== undefined && offset >= chunk.length) {
      offset -= chunk.length;
      chunk = this.chunkAt(++index);
    }
    for (let i = 0; i < delimiter.length; i++) {
      if (chunk === undefined || chunk[offset] !== delimiter[i]) return false;
      if (++offset === chunk.length) {
        chunk = this.chunkAt(++index);
        offset = 0;
      }
    }
    return true;
  }

  private copyOut(count: number): Buffer {
    const out = Buffer.allocUnsafe(count);
    this.copyInto(out);
    return out;
  }

  private dropFirst(): void {
    this.#length -= this.#first!.length - this.#start;
    this.#start = 0;
    const rest = this.#rest;
    if (rest === null || rest.head === rest.tail) {
      this.#first = undefined;
      return;
    }
    const { chunks } = rest;
    this.#first = chunks[rest.head];
    chunks[rest.head] = undefined;
    rest.head++;
    if (rest.head === rest.tail) {
      // Empty behind the first: start again at the front (the slots are all cleared).
      rest.head = rest.tail = 0;
    } else if (rest.head > 1024 && rest.head * 2 > rest.tail) {
      // Compact now and then so the array does not grow without end.
      rest.chunks = chunks.slice(rest.head, rest.tail);
      rest.tail -= rest.head;
      rest.head = 0;
    }
  }
}

/** The text of `bytes[start, end)` as UTF-8, without a final LF or CRLF or a leading byte order mark. */
function decodeLine(bytes: Buffer, start: number, end: number): string {
  if (end > start && bytes[end - 1] === 0x0a) end--;
  if (end > start && bytes[end - 1] === 0x0d) end--;
  if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
  return bytes.toString('utf8', start, end);
}

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * The chunks behind a read buffer's first one, from `head` to `tail`. Slots are reused rather
 * than the array truncated: setting an array's length calls into V8's runtime, and the next
 * push would grow it again. An object of its own, made when a second chunk first waits, so a
 * task whose reader keeps up carries no array and no indexes (16 bytes, measured).
 */
class ChunkQueue {
  declare chunks: Array<Buffer | undefined>;
  declare head: number;
  declare tail: number;

  constructor() {
    this.chunks = [];
    this.head = 0;
    this.tail = 0;
  }
}
