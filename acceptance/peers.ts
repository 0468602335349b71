/**
 * The servers the acceptance run talks to, all in the Node process that runs it (the runtime
 * under test is only ever the client): a plain echo, a line server, a chunk counter, TLS echo,
 * a STARTTLS server, an FTP-like CCC server, a WebSocket server for Upgrade, an HTTP CONNECT proxy
 * and a SOCKS5 proxy.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createProxy } from 'proxy';
import socks5 from 'simple-socks';
import { WebSocketServer } from 'ws';
import { makeCertificates } from '../__tests__/helpers/certificates.js';

/** What checks.mjs is told, as JSON in the ACCEPTANCE_PEERS environment variable. */
export interface PeerPorts {
  ca: string;
  /** Echoes every byte; ends its side when the client ends its own. */
  echo: number;
  /** Sends 3 lines ("one", "two", "three") and ends. */
  lines: number;
  /** Counts the chunks it reads up to a newline, then answers "CHUNKS BYTES\n". */
  counter: number;
  /** Sends nothing until asked: for timeouts, aborts and cancel. */
  silent: number;
  /** TLS echo (leaf for localhost). */
  tlsEcho: number;
  /** "READY\n", then on "STARTTLS\n": "GO\n" and TLS; echoes each line as "SECURE line". */
  startTls: number;
  /** A WebSocket server: the Upgrade target. */
  webSocket: number;
  /** FTP-like: AUTH TLS, then CCC leaves TLS ("PLAIN HELLO" behind the close_notify); Python's ssl. */
  ccc: number;
  httpProxy: number;
  socksProxy: number;
}

export interface Peers {
  ports: PeerPorts;
  close(): Promise<void>;
}

/** The tests' CCC peer (__tests__/helpers/ccc_peer.py); from build/acceptance/, two folders up is the repository. */
const CCC_PEER = fileURLToPath(new URL('../../__tests__/helpers/ccc_peer.py', import.meta.url));

async function startCccPeer(certPath: string, keyPath: string): Promise<{ port: number; close(): Promise<void> }> {
  const child = spawn('python3', [CCC_PEER, certPath, keyPath, 'server-first'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return {
    port: Number(line),
    close: async () => {
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

export async function startPeers(): Promise<Peers> {
  const certs = makeCertificates();
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const track = (server: net.Server): net.Server => {
    servers.push(server);
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    return server;
  };

  const echo = track(net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.pipe(socket);
  }));
  const lines = track(net.createServer((socket) => socket.end('one\r\ntwo\nthree\n')));
  const counter = track(net.createServer((socket) => {
    let chunks = 0, bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks += 1;
      bytes += chunk.length;
      if (chunk.includes(10)) socket.end(`${chunks} ${bytes}\n`);
    });
  }));
  const silent = track(net.createServer(() => {}));
  const tlsEcho = track(tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert, allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  }));
  const startTls = track(net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.write('READY\n');
    let pending = '';
    const onPlain = (data: Buffer): void => {
      pending += data.toString('latin1');
      if (!pending.includes('STARTTLS\n')) return;
      socket.off('data', onPlain);
      socket.write('GO\n');
      const secure = new tls.TLSSocket(socket, { isServer: true, key: certs.leaf.key, cert: certs.leaf.cert });
      secure.on('error', () => {});
      let text = '';
      secure.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        let end: number;
        while ((end = text.indexOf('\n')) >= 0) {
          secure.write(`SECURE ${text.slice(0, end)}\n`);
          text = text.slice(end + 1);
        }
      });
      secure.on('end', () => secure.end());
    };
    socket.on('data', onPlain);
  }));
  const webServer = track(http.createServer());
  const wss = new WebSocketServer({ server: webServer as http.Server });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  const httpProxy = track(createProxy(http.createServer()));
  const socksProxy = track(socks5.createServer() as net.Server);
  const ccc = await startCccPeer(certs.leaf.certPath, certs.leaf.keyPath);

  const ports: PeerPorts = {
    ca: certs.ca,
    echo: await listen(echo),
    lines: await listen(lines),
    counter: await listen(counter),
    silent: await listen(silent),
    tlsEcho: await listen(tlsEcho),
    startTls: await listen(startTls),
    webSocket: await listen(webServer),
    httpProxy: await listen(httpProxy),
    socksProxy: await listen(socksProxy),
    ccc: ccc.port,
  };
  return {
    ports,
    async close() {
      wss.close();
      await ccc.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      certs.remove();
    },
  };
}
