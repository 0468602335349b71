/**
 * captureStreams(): the task's connection as a WHATWG ReadableStream (type 'bytes') and
 * WritableStream. Built on the task's own buffer, not `Duplex.toWeb()`, which copies every chunk
 * and destroys both sides when its readable is cancelled.
 *
 * A default reader gets the socket's chunks themselves: enqueueing transfers a chunk's memory to
 * the stream (no copy), which is safe only when the chunk is the sole view of its ArrayBuffer, as
 * Node's socket reads are; any other chunk (a part of one, a pooled Buffer) is copied first. A
 * BYOB reader gets the bytes copied into its own buffer: buffered bytes from the task's buffer,
 * and on plain TCP, while it waits, each read straight from the socket's scratch buffer (no
 * memory allocated per read: the cheapest way to read a captured connection).
 */
import { ReadableStream, WritableStream, WritableStreamDefaultWriter, type ReadableByteStreamController, type UnderlyingSink } from 'node:stream/web';
import { streamClosedError, type StreamTaskError } from '../errors.js';
import type { ReadBuffer } from '../io/read-buffer.js';
import { bytesArgument } from '../validate.js';

/**
 * The connection as a pair of web streams, from `task.captureStreams()`.
 *
 * @example
 * ```ts
 * const { readable, writable }: CapturedStreams = await task.captureStreams();
 * await readable.pipeTo(writable); // an echo: every byte back, FIN when the peer's comes
 * ```
 */
export interface CapturedStreams {
  /** Bytes from the peer, beginning with those the task had buffered; ends at the peer's FIN. */
  readable: ReadableStream<Uint8Array>;
  /**
   * Bytes to the peer; `close()` sends FIN, `abort()` resets the connection. A writer's write that
   * the kernel takes at once is settled when `write()` returns.
   */
  writable: WritableStream<Uint8Array>;
}

/** What the streams need of the task. */
export interface CapturePort {
  readonly buffer: ReadBuffer;
  readonly eofReceived: boolean;
  readonly error: StreamTaskError | null;
  /** closeRead() was called before the capture: nothing will be delivered. */
  readonly readClosed: boolean;
  /** Resolves when bytes are buffered, or at end of stream, or once the task failed. */
  waitForBytes(): Promise<void>;
  /** A read took bytes: let the socket read again if it was paused. */
  afterRead(): void;
  deliveredEOF(): void;
  /** The readable was cancelled: close the read side. */
  closeRead(): void;
  /**
   * While `take` is set, offer each socket read to it before buffering (where the socket allows:
   * plain TCP); `take` returns how many bytes it took. null ends it.
   */
  readDirectly(take: ((source: Buffer, count: number) => number) | null): void;
  /** Resolves when the kernel accepted the bytes; undefined if it took them within the call. */
  write(bytes: Uint8Array): Promise<void> | undefined;
  /**
   * Writes only if the bytes can go to the kernel within the call (plain, idle socket, task
   * writable): true if the kernel took them all, false if nothing was written, or the promise of
   * the rest if the socket kept some.
   */
  writeAtOnce(bytes: Uint8Array): boolean | Promise<void>;
  /** Sends FIN; resolves when sent. */
  closeWrite(): Promise<void>;
  /** Resets the connection. */
  abort(reason: unknown): void;
}

export function createCapturedStreams(port: CapturePort, writeHighWaterMark: number): CapturedStreams {
  const { buffer } = port;
  /** Hands over what is buffered, or the end, or the error; false if there is nothing yet. */
  const deliver = (controller: ReadableByteStreamController): boolean => {
    const request = controller.byobRequest;
    if (buffer.length > 0) {
      if (request !== null) {
        // A BYOB reader: copy straight into its memory.
        request.respond(buffer.copyInto(bytesOf(request.view!)));
      } else {
        controller.enqueue(handOver(buffer.shift()));
      }
      port.afterRead();
      if (port.eofReceived && buffer.length === 0) {
        port.deliveredEOF();
        controller.close();
      }
      return true;
    }
    if (port.eofReceived) {
      port.deliveredEOF();
      controller.close();
      request?.respond(0);
      return true;
    }
    if (port.error !== null) throw port.error;
    if (port.readClosed) {
      // closeRead() came first: the bytes are dropped, so the readable ends (not at the peer's FIN).
      controller.close();
      request?.respond(0);
      return true;
    }
    return false;
  };
  let stream!: ReadableByteStreamController;
  /** A waiting BYOB read takes a socket read straight into its memory, if nothing is buffered before it. */
  const take = (source: Buffer, count: number): number => {
    const request = stream.byobRequest;
    if (request === null || buffer.length > 0) return 0;
    const view = bytesOf(request.view!);
    const taken = Math.min(count, view.byteLength);
    source.copy(view, 0, 0, taken);
    request.respond(taken);
    return taken;
  };
  let direct = false;
  const readable = new ReadableStream({
    type: 'bytes',
    start: (controller: ReadableByteStreamController) => {
      stream = controller;
    },
    // Synchronous when bytes are buffered (no promise per chunk); otherwise waits for them.
    pull: (controller: ReadableByteStreamController) => {
      // Follow the reader: a BYOB reader takes reads directly, a default one takes chunks.
      if ((controller.byobRequest !== null) !== direct) {
        direct = !direct;
        port.readDirectly(direct ? take : null);
      }
      if (deliver(controller)) return undefined;
      return port.waitForBytes().then(() => {
        deliver(controller);
      });
    },
    cancel: () => port.closeRead(),
  }, { highWaterMark: 0 });

  const side: WriteSide = { port, highWaterMark: writeHighWaterMark, closing: false };
  const writable = new CapturedWritable({
    write: (chunk) => (chunk instanceof GivenToSocket ? chunk.done : port.write(bytesArgument('chunk', chunk))),
    close: () => {
      side.closing = true;
      return port.closeWrite();
    },
    abort: (reason) => port.abort(reason),
  }, side);

  return { readable: readable as ReadableStream<Uint8Array>, writable };
}

/** What the captured writable and its writers share. */
interface WriteSide {
  readonly port: CapturePort;
  readonly highWaterMark: number;
  /** The sink's close began (by a writer or by the stream): nothing may be written after it. */
  closing: boolean;
}

/**
 * The captured writable. Its writer gives a write to the socket itself when nothing waits in the
 * stream's queue and the kernel takes the bytes within the call: Node's WritableStream costs more
 * per write than the whole socket write (a queue entry, two promises, four closures), and a
 * write that is done at once needs none of it. Everything else (a write behind another, after
 * close(), once errored, on TLS) goes through the stream as the standard says; see
 * docs/decisions.md.
 */
class CapturedWritable extends WritableStream<Uint8Array> {
  readonly #side: WriteSide;

  constructor(sink: UnderlyingSink<Uint8Array | GivenToSocket>, side: WriteSide) {
    // An empty chunk counts as one byte, so that any write waiting in the queue shows in desiredSize.
    super(sink as UnderlyingSink<Uint8Array>, { highWaterMark: side.highWaterMark, size: (chunk) => chunk?.byteLength || 1 });
    this.#side = side;
  }

  override getWriter(): WritableStreamDefaultWriter<Uint8Array> {
    return new CapturedWriter(this, this.#side);
  }
}

/** Settled already: what a write the kernel took within the call returns. */
const WRITTEN: Promise<void> = Promise.resolve();

class CapturedWriter extends WritableStreamDefaultWriter<Uint8Array> {
  readonly #side: WriteSide;
  /** releaseLock() was called: the stream refuses every write (and desiredSize would throw). */
  #released = false;

  constructor(stream: CapturedWritable, side: WriteSide) {
    super(stream);
    this.#side = side;
  }

  override write(chunk: Uint8Array): Promise<void> {
    const side = this.#side;
    if (this.#released) return super.write(chunk);
    const desiredSize = this.desiredSize;
    if (side.closing) {
      // Node's stream fails an internal assertion on a write while its close is in flight
      // (nodejs/node#57272 was fixed for "closed" only); the standard rejects with a TypeError.
      // Errored (desiredSize null): the stream rejects with the error.
      return desiredSize === null ? super.write(chunk) : Promise.reject(streamClosedError());
    }
    // desiredSize at the mark: no write queued or in flight, and neither erroring nor errored
    // (it is null then), so a write given to the socket now keeps its place. Empty (or detached)
    // chunks and other types go through the stream, whose sink checks them.
    if (desiredSize === side.highWaterMark && chunk instanceof Uint8Array && chunk.byteLength > 0) {
      const given = side.port.writeAtOnce(chunk);
      if (given === true) return WRITTEN;
      // The socket kept some: the stream waits for them, counting their size, as for its own write.
      if (given !== false) return super.write(new GivenToSocket(given, chunk.byteLength) as unknown as Uint8Array);
    }
    return super.write(chunk);
  }

  override releaseLock(): void {
    this.#released = true;
    super.releaseLock();
  }
}

/** A write the writer already gave the socket, passed through the stream so it waits for it. */
class GivenToSocket {
  constructor(readonly done: Promise<void>, readonly byteLength: number) {}
}

/** A BYOB request's view as bytes: the stream gives a Uint8Array, so no wrapper per read. */
function bytesOf(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A chunk the stream may take over: itself if nothing else views its memory, else a copy. */
function handOver(chunk: Buffer): Uint8Array {
  const exclusive = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && !(chunk.buffer instanceof SharedArrayBuffer);
  return exclusive ? chunk : new Uint8Array(chunk);
}
