/**
 * Opens the TCP connection of a task (the task listens to its 'data'). Chunks come as 'data'
 * events: each is a fresh buffer Node read into, which the read buffer keeps as is (no copy).
 * Node allocates those buffers natively; reading into slabs of our own (`onread`) measured slower,
 * as our large JS allocations drove the garbage collector (docs/decisions.md).
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
}

export function openTcp(options: TcpOptions): net.Socket {
  return net.connect({
    host: options.host,
    port: options.port,
    // The user decides when our side ends (closeWrite); Node must not end it at the peer's FIN.
    allowHalfOpen: true,
    noDelay: options.noDelay,
    keepAlive: options.keepAlive,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  });
}
