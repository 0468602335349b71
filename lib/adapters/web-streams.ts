/**
 * captureStreams(): the task's connection as a WHATWG ReadableStream (type 'bytes') and
 * WritableStream. Built on the task's own buffer, not `Duplex.toWeb()`, which copies every chunk
 * and destroys both sides when its readable is cancelled.
 */
import { ReadableStream, WritableStream, type ReadableByteStreamController } from 'node:stream/web';
import { STREAM_READ_CHUNK_BYTES } from '../constants.js';
import type { StreamTaskError } from '../errors.js';
import type { ReadBuffer } from '../read-buffer.js';
import { bytesArgument } from '../validate.js';

/** The connection as a pair of web streams. */
export interface CapturedStreams {
  /** Bytes from the peer, beginning with those the task had buffered; ends at the peer's FIN. */
  readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer; `close()` sends FIN, `abort()` resets the connection. */
  writable: WritableStream<Uint8Array>;
}

/** What the streams need of the task. */
export interface CapturePort {
  readonly buffer: ReadBuffer;
  readonly eofReceived: boolean;
  readonly error: StreamTaskError | null;
  /** Resolves when bytes are buffered, or at end of stream, or once the task failed. */
  waitForBytes(): Promise<void>;
  /** A read took bytes: let the socket read again if it was paused. */
  afterRead(): void;
  deliveredEOF(): void;
  /** The readable was cancelled: close the read side. */
  closeRead(): void;
  /** Resolves when the kernel accepted the bytes. */
  write(bytes: Uint8Array): Promise<void>;
  /** Sends FIN; resolves when sent. */
  closeWrite(): Promise<void>;
  /** Resets the connection. */
  abort(reason: unknown): void;
}

export function createCapturedStreams(port: CapturePort, writeHighWaterMark: number): CapturedStreams {
  const readable = new ReadableStream({
    type: 'bytes',
    // Every pull then has a byobRequest: we copy from our buffer straight into the stream's memory.
    // (Enqueueing our own chunks would transfer, and so detach, memory other views may share.)
    autoAllocateChunkSize: STREAM_READ_CHUNK_BYTES,
    pull: async (controller: ReadableByteStreamController) => {
      await port.waitForBytes();
      const request = controller.byobRequest!;
      const view = request.view!;
      const { buffer } = port;
      if (buffer.length > 0) {
        request.respond(buffer.copyInto(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)));
        port.afterRead();
        if (port.eofReceived && buffer.length === 0) {
          port.deliveredEOF();
          controller.close();
        }
        return;
      }
      if (port.eofReceived) {
        port.deliveredEOF();
        controller.close();
        request.respond(0);
        return;
      }
      throw port.error;
    },
    cancel: () => port.closeRead(),
  }, { highWaterMark: 0 });

  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => port.write(bytesArgument('chunk', chunk)),
    close: () => port.closeWrite(),
    abort: (reason) => port.abort(reason),
  }, { highWaterMark: writeHighWaterMark, size: (chunk) => chunk?.byteLength ?? 1 });

  return { readable: readable as ReadableStream<Uint8Array>, writable };
}
