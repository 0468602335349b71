/**
 * Real loopback peers for the tests: a TCP server on 127.0.0.1, port 0, that records what it
 * receives and lets a test script the other side. `close()` destroys every connection it made.
 */
import net from 'node:net';
import { once } from 'node:events';

export interface PeerConnection {
  socket: net.Socket;
  /** Every byte received so far, in order. */
  received(): Buffer;
  /** Resolves once at least `count` bytes have been received in total. */
  waitForBytes(count: number): Promise<Buffer>;
  /** Resolves when the peer's FIN arrives. */
  ended: Promise<void>;
}

export interface Peer {
  port: number;
  /** Resolves with the next connection (or the one already accepted). */
  connection(): Promise<PeerConnection>;
  close(): Promise<void>;
}

export async function startPeer(onConnection?: (connection: PeerConnection) => void): Promise<Peer> {
  const connections: PeerConnection[] = [];
  const waiting: ((connection: PeerConnection) => void)[] = [];
  let taken = 0;
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const watchers: { count: number; resolve: (b: Buffer) => void }[] = [];
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      for (const watcher of [...watchers]) {
        if (total >= watcher.count) {
          watchers.splice(watchers.indexOf(watcher), 1);
          watcher.resolve(Buffer.concat(chunks));
        }
      }
    });
    const connection: PeerConnection = {
      socket,
      received: () => Buffer.concat(chunks),
      waitForBytes: (count) =>
        total >= count ? Promise.resolve(Buffer.concat(chunks)) : new Promise((resolve) => watchers.push({ count, resolve })),
      ended,
    };
    connections.push(connection);
    onConnection?.(connection);
    const next = waiting.shift();
    if (next) {
      taken++;
      next(connection);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    connection: () => {
      const ready = connections[taken];
      if (ready) {
        taken++;
        return Promise.resolve(ready);
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const { socket } of connections) socket.destroy();
      await Promise.all(connections.map(({ socket }) => (socket.closed ? undefined : once(socket, 'close'))));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (it was free a moment ago): connecting to it is refused. */
export async function unusedPort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Resolves on the next turn of the event loop (lets I/O callbacks run). */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves after `ms` milliseconds (only where no event can be awaited). */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Settles `promise` into a record, so tests can assert on rejections without races. */
export async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}
