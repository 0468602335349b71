/**
 * The load server for the benchmarks, run in its own process so that client and server do not
 * share an event loop. One command line per connection:
 *   SOURCE <bytes>\n   send that many bytes as fast as the socket takes them, then FIN
 *   SINK <bytes>\n     read that many bytes, then answer "OK\n" and FIN
 *   ECHO\n             send back everything received (ping-pong, round trips)
 *   LINES <count>\n    send that many Redis-style replies ":123456\r\n", pipelined, then FIN
 * It listens on 127.0.0.1 for TCP and, given a key and certificate, for TLS too, and prints
 * "READY <tcpPort> <tlsPort>" when both are up.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const CHUNK = Buffer.alloc(256 * 1024, 0x5a);

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let head = '';
  const onHead = (data: Buffer): void => {
    head += data.toString('latin1');
    const end = head.indexOf('\n');
    if (end < 0) return;
    socket.off('data', onHead);
    const [command, argument] = head.slice(0, end).split(' ');
    const rest = Buffer.from(head.slice(end + 1), 'latin1');
    if (command === 'SOURCE') source(socket, Number(argument));
    else if (command === 'SINK') sink(socket, Number(argument), rest.length);
    else if (command === 'ECHO') echo(socket, rest);
    else if (command === 'LINES') lines(socket, Number(argument));
    else socket.destroy();
  };
  socket.on('data', onHead);
}

function source(socket: net.Socket, bytes: number): void {
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
}

function sink(socket: net.Socket, bytes: number, already: number): void {
  let got = already;
  const check = (): void => {
    if (got >= bytes) socket.end('OK\n');
  };
  socket.on('data', (data: Buffer) => {
    got += data.length;
    check();
  });
  check();
}

const REPLY = ':123456\r\n';
const REPLIES = Buffer.from(REPLY.repeat(Math.floor(CHUNK.length / REPLY.length)));

function lines(socket: net.Socket, count: number): void {
  let left = count;
  const perChunk = REPLIES.length / REPLY.length;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, perChunk);
      left -= n;
      if (!socket.write(REPLIES.subarray(0, n * REPLY.length))) return void socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
}

function echo(socket: net.Socket, rest: Buffer): void {
  if (rest.length > 0) socket.write(rest);
  socket.pipe(socket);
}

const [keyPath, certPath] = process.argv.slice(2);
const plain = net.createServer({ allowHalfOpen: true }, serve);
plain.maxConnections = 100_000;
plain.listen({ port: 0, host: '127.0.0.1', backlog: 16_384 }, () => {
  const tcpPort = (plain.address() as net.AddressInfo).port;
  if (keyPath === undefined || certPath === undefined) {
    console.log(`READY ${tcpPort} 0`);
    return;
  }
  const secure = tls.createServer({ key: readFileSync(keyPath), cert: readFileSync(certPath), allowHalfOpen: true }, serve);
  secure.listen(0, '127.0.0.1', () => console.log(`READY ${tcpPort} ${(secure.address() as net.AddressInfo).port}`));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
