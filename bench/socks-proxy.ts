/**
 * A SOCKS5 proxy (simple-socks) in its own process, for the socks5-connect benchmark: the proxy's
 * work must not count in the client's CPU. Prints "READY <port>"; exits when stdin ends.
 */
import type net from 'node:net';
import socks5 from 'simple-socks';

const server = socks5.createServer() as unknown as net.Server;
server.listen(0, '127.0.0.1', () => {
  console.log(`READY ${(server.address() as net.AddressInfo).port}`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
