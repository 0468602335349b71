/**
 * Opens the TCP connection of a task. Chunks come as 'data' events: each is a fresh buffer Node
 * read into, which the read buffer keeps as is (no copy). Node allocates those buffers natively;
 * reading into slabs of our own (`onread`) measured slower, as our large JS allocations drove the
 * garbage collector (docs/decisions.md).
 */
import net from 'node:net';

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
  });
  socket.on('data', (chunk: Buffer) => {
    if (!onBytes(chunk)) socket.pause();
  });
  return socket;
}
