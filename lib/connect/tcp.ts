/**
 * Opens the TCP connection of a task. The socket reads straight into slabs we own (Node's
 * `onread` with a buffer generator): no 'data' events, no Readable buffering, no copy per chunk.
 */
import net from 'node:net';
import { SlabAllocator } from '../slab-allocator.js';

export interface TcpOptions {
  host: string;
  port: number;
  noDelay: boolean;
  keepAlive: boolean;
  /** The local address to bind to. */
  localAddress?: string | undefined;
  /** Resolves names instead of getaddrinfo (a configured DNS server). */
  lookup?: net.LookupFunction | undefined;
  /** Each chunk that arrives, in order. Return false to stop reading until `socket.resume()`. */
  onBytes: (chunk: Buffer) => boolean;
}

export function openTcp(options: TcpOptions): net.Socket {
  const slabs = new SlabAllocator();
  const { onBytes } = options;
  const socket = net.connect({
    host: options.host,
    port: options.port,
    // The user decides when our side ends (closeWrite); Node must not end it at the peer's FIN.
    allowHalfOpen: true,
    noDelay: options.noDelay,
    keepAlive: options.keepAlive,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    onread: {
      buffer: () => slabs.next(),
      callback: (length: number, room: Uint8Array) => onBytes(slabs.commit(room as Buffer, length)),
    },
  });
  return socket;
}
