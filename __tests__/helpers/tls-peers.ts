/**
 * TLS peers on loopback: a TLS echo server, and a line-protocol server that speaks STARTTLS
 * (and can misbehave by sending bytes right after its go-ahead, as an attacker injecting into
 * the plaintext phase would).
 */
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';

export interface TlsPeer {
  port: number;
  /** What each TLS connection said of itself, in order of connection. */
  sessions: { servername: string | false; authorized: boolean; alpn: string | false; received: string }[];
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

async function closeAll(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await Promise.all([...sockets].map((socket) => (socket.closed ? undefined : once(socket, 'close'))));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A TLS server that echoes what it gets, upper-cased, and answers FIN with "BYE" and its own FIN. */
export async function startTlsEchoPeer(options: tls.TlsOptions): Promise<TlsPeer> {
  const sockets = new Set<net.Socket>();
  const sessions: TlsPeer['sessions'] = [];
  const server = tls.createServer({ allowHalfOpen: true, ...options }, (socket) => {
    const record = {
      servername: (socket as tls.TLSSocket & { servername?: string | false }).servername ?? false,
      authorized: socket.authorized,
      alpn: socket.alpnProtocol ?? false,
      received: '',
    };
    sessions.push(record);
    socket.on('data', (data: Buffer) => {
      record.received += data.toString();
      socket.write(data.toString().toUpperCase());
    });
    socket.on('end', () => socket.end('BYE'));
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  return { port, sessions, close: () => closeAll(server, sockets) };
}

export interface StartTlsPeer {
  port: number;
  /** Plaintext the server received after the upgrade was done (must stay empty). */
  plaintextAfterUpgrade: string[];
  /** What the server received over TLS. */
  secureReceived: string[];
  close(): Promise<void>;
}

/**
 * "READY\n"; on "STARTTLS\n" answers "GO\n" (plus `inject`, in the same write) and starts TLS;
 * over TLS it answers each line with "SECURE <line>".
 */
export async function startStartTlsPeer(credentials: { key: string; cert: string }, inject = ''): Promise<StartTlsPeer> {
  const sockets = new Set<net.Socket>();
  const plaintextAfterUpgrade: string[] = [];
  const secureReceived: string[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.write('READY\n');
    let pending = '';
    const onPlain = (data: Buffer): void => {
      pending += data.toString('latin1');
      if (!pending.includes('STARTTLS\n')) return;
      socket.off('data', onPlain);
      socket.write(`GO\n${inject}`);
      const secure = new tls.TLSSocket(socket, { isServer: true, ...credentials });
      secure.on('error', () => {});
      sockets.add(secure);
      secure.on('close', () => sockets.delete(secure));
      let lines = '';
      secure.on('data', (chunk: Buffer) => {
        lines += chunk.toString();
        let end: number;
        while ((end = lines.indexOf('\n')) >= 0) {
          const line = lines.slice(0, end);
          lines = lines.slice(end + 1);
          secureReceived.push(line);
          secure.write(`SECURE ${line}\n`);
        }
      });
      secure.on('end', () => secure.end());
    };
    socket.on('data', onPlain);
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return { port, plaintextAfterUpgrade, secureReceived, close: () => closeAll(server, sockets) };
}

/** Accepts TCP and never says a word: a TLS handshake against it hangs. */
export async function startSilentPeer(onConnection?: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection?.(socket);
  });
  const port = await listen(server);
  return { port, close: () => closeAll(server, sockets) };
}
