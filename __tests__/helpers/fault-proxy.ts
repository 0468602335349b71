/**
 * A small TCP proxy on loopback that misbehaves on purpose between a task and a server: it can
 * delay every chunk, cut chunks into 1-byte pieces, stall (hold everything), cut the connection
 * with FINs, or reset it after N bytes from the server. Faults apply to the server-to-client side;
 * the client-to-server side is forwarded as is (delayed too, with `delayMs`).
 */
import net from 'node:net';

export interface Faults {
  /** Milliseconds to hold each chunk, both ways. */
  delayMs?: number;
  /** Forward the server's bytes one at a time, each in its own write. */
  fragment?: boolean;
  /** After this many bytes from the server, hold the rest until `release()`. */
  stallAfter?: number;
  /** After this many bytes from the server, end both connections (FIN). */
  cutAfter?: number;
  /** After this many bytes from the server, reset the client's connection. */
  resetAfter?: number;
}

export interface FaultProxy {
  port: number;
  /** Lets a stalled connection go on. */
  release(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, faults: Faults): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  const releases = new Set<() => void>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };
  const later = (run: () => void): void => {
    if (faults.delayMs) setTimeout(run, faults.delayMs);
    else run();
  };
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    track(upstream);
    client.on('data', (chunk: Buffer) => later(() => upstream.write(chunk)));
    client.on('end', () => later(() => upstream.end()));
    let forwarded = 0;
    let held: Buffer[] | null = null;
    let ended = false;
    /** Reset or cut: nothing more goes to the client. */
    let broken = false;
    const send = (chunk: Buffer): void => {
      if (client.destroyed) return;
      if (faults.fragment) for (const byte of chunk) client.write(Buffer.of(byte));
      else client.write(chunk);
    };
    const limit = (at: number | undefined): number => (at === undefined ? Infinity : at);
    upstream.on('data', (chunk: Buffer) => later(() => {
      if (broken) return;
      if (held !== null) return void held.push(chunk);
      const before = forwarded;
      forwarded += chunk.length;
      const stop = Math.min(limit(faults.stallAfter), limit(faults.cutAfter), limit(faults.resetAfter));
      if (forwarded <= stop) return send(chunk);
      if (stop > before) send(chunk.subarray(0, stop - before));
      const rest = chunk.subarray(Math.max(0, stop - before));
      if (stop === faults.resetAfter) {
        broken = true;
        upstream.destroy();
        // Once the bytes before it have left (a reset discards what is still queued).
        client.write(Buffer.alloc(0), () => setTimeout(() => client.resetAndDestroy(), 20));
      } else if (stop === faults.cutAfter) {
        broken = true;
        client.end();
        upstream.destroy();
      } else {
        held = [rest];
        releases.add(() => {
          const chunks = held ?? [];
          held = null;
          faults.stallAfter = undefined;
          for (const piece of chunks) send(piece);
          if (ended) client.end();
        });
      }
    }));
    upstream.on('end', () => later(() => {
      ended = true;
      if (!broken && held === null && !client.destroyed) client.end();
    }));
    upstream.on('close', () => {
      if (!broken && held === null && !client.writableEnded) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    release: () => {
      for (const release of releases) release();
      releases.clear();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
