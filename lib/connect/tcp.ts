/**
 * Opens the connection of a task: TCP, or a Unix domain socket, and with `tls` a TLS socket that
 * tls.connect opens itself. On Node its bytes come through `onread` (lib/io/socket-reads.ts), not
 * as 'data' events: the socket emits none. (Node gives `onread` to a TLS socket only when
 * tls.connect makes the connection, never to TLS over a socket already connected.)
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface TcpOptions {
  host: string;
  port: number;
  noDelay: boolean;
  keepAlive: boolean;
  /** The local address to bind to. */
  localAddress?: string | undefined;
  /** Happy Eyeballs and its attempt timeout; undefined: Node's defaults. */
  autoSelectFamily?: boolean | undefined;
  autoSelectFamilyAttemptTimeout?: number | undefined;
  /** Resolves names instead of getaddrinfo (a configured DNS server). */
  lookup?: net.LookupFunction | undefined;
  /** Where the bytes go (see socketReads); undefined: as 'data' events. */
  onread: net.OnReadOpts | undefined;
  /** A Unix domain socket to connect to instead (host, port and the TCP options do not apply). */
  path?: string | null | undefined;
  /** TLS from the first byte, on a socket tls.connect opens (tls/secure.ts's tlsConnectOptions). */
  tls?: tls.ConnectionOptions | undefined;
}

/** Whether a connection made now tries every address (the task's setting, else Node's default). */
export function autoSelectsFamily(setting: boolean | null): boolean {
  if (setting !== null) return setting;
  const nodeDefault = (net as { getDefaultAutoSelectFamily?: () => boolean }).getDefaultAutoSelectFamily;
  return typeof nodeDefault === 'function' ? nodeDefault() : false;
}

export function openTcp(options: TcpOptions): net.Socket {
  const tcp = options.path == null;
  // Where to connect, and how: the same for a plain socket and one tls.connect opens. Made by
  // spreads, not one object filled in place: that allocates less but cost 36,000 more
  // instructions per connection in Node's connect path (bench/count-instructions.sh connect).
  const target = !tcp ? { path: options.path! } : {
    host: options.host,
    port: options.port,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
    ...(options.autoSelectFamily === undefined ? {} : { autoSelectFamily: options.autoSelectFamily }),
    ...(options.autoSelectFamilyAttemptTimeout === undefined ? {} : { autoSelectFamilyAttemptTimeout: options.autoSelectFamilyAttemptTimeout }),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
  };
  const onread = options.onread === undefined ? {} : { onread: options.onread };
  if (options.tls !== undefined) {
    const socket = tls.connect({ ...options.tls, ...target, ...(onread as tls.ConnectionOptions) });
    // tls.connect takes neither as an option; set now, they apply once connected.
    if (tcp) {
      socket.setNoDelay(options.noDelay);
      socket.setKeepAlive(options.keepAlive);
    }
    return socket;
  }
  return net.connect({
    ...target,
    // The user decides when our side ends (closeWrite); Node must not end it at the peer's FIN.
    allowHalfOpen: true,
    ...(tcp ? { noDelay: options.noDelay, keepAlive: options.keepAlive } : {}),
    ...onread,
  } as net.NetConnectOpts);
}
