/**
 * The servers the acceptance run talks to, all in the Node process that runs it (the runtime
 * under test is only ever the client): a plain echo, a line server, a chunk counter, TLS echo,
 * a STARTTLS server, an FTP-like CCC server, a WebSocket server for Upgrade, an HTTP CONNECT proxy
 * and a SOCKS5 proxy; and, where Debian's packages are installed, Dovecot, tinyproxy and Dante
 * as they ship (helpers/debian-daemons.ts), each in a process of its own.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createProxy } from 'proxy';
import socks5 from 'simple-socks';
import { WebSocketServer } from 'ws';
import { startCccPeer } from '../__tests__/helpers/ccc-peer.js';
import { makeCertificates } from '../__tests__/helpers/certificates.js';
import { danteSpec, dovecotSpec, tinyproxySpec, TINYPROXY_PASSWORD, TINYPROXY_USER } from '../__tests__/helpers/debian-daemon-specs.js';
import { missing, startDaemon, type Daemon } from '../__tests__/helpers/debian-daemons.js';
import { startStartTlsPeer } from '../__tests__/helpers/tls-peers.js';

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
  /** Debian's Dovecot (IMAP, STARTTLS), tinyproxy (its URL with credentials) and Dante, or why not. */
  debian: { imap: number; tinyproxy: string; dante: number } | { missing: string };
}

export interface Peers {
  ports: PeerPorts;
  close(): Promise<void>;
}

/** The tests' CCC peer script; from build/acceptance/, two folders up is the repository. */
const CCC_PEER = fileURLToPath(new URL('../../__tests__/helpers/ccc_peer.py', import.meta.url));

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
  const startTls = await startStartTlsPeer({ key: certs.leaf.key, cert: certs.leaf.cert });
  const webServer = track(http.createServer());
  const wss = new WebSocketServer({ server: webServer as http.Server });
  wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
  const httpProxy = track(createProxy(http.createServer()));
  const socksProxy = track(socks5.createServer() as net.Server);
  const ccc = await startCccPeer(certs.leaf, 'server-first', CCC_PEER);
  const why = missing('dovecot', 'dovecot-imapd', true) ?? missing('tinyproxy', 'tinyproxy') ?? missing('danted', 'dante-server', true);
  const daemons: Daemon[] = [];
  if (why === null) {
    try {
      for (const spec of [dovecotSpec(certs), tinyproxySpec(), danteSpec()]) daemons.push(await startDaemon(spec));
    } catch (error) {
      // Each runs in a process group of its own: one that started must not outlive the run.
      await Promise.all(daemons.map((daemon) => daemon.stop()));
      throw error;
    }
  }
  const [imap, tinyproxy, dante] = daemons;

  const ports: PeerPorts = {
    ca: certs.ca,
    echo: await listen(echo),
    lines: await listen(lines),
    counter: await listen(counter),
    silent: await listen(silent),
    tlsEcho: await listen(tlsEcho),
    startTls: startTls.port,
    webSocket: await listen(webServer),
    httpProxy: await listen(httpProxy),
    socksProxy: await listen(socksProxy),
    ccc: ccc.port,
    debian: why !== null ? { missing: why }
      : { imap: imap!.port, tinyproxy: `http://${TINYPROXY_USER}:${TINYPROXY_PASSWORD}@127.0.0.1:${tinyproxy!.port}`, dante: dante!.port },
  };
  return {
    ports,
    async close() {
      wss.close();
      await ccc.close();
      await Promise.all(daemons.map((daemon) => daemon.stop()));
      await startTls.close();
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
      certs.remove();
    },
  };
}
