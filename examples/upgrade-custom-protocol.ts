/**
 * HTTP Upgrade to a custom protocol: an HTTP server (started here) switches the connection to a
 * tiny line protocol after `101 Switching Protocols`; the client gets a stream task on the same
 * connection. The server's greeting travels in the same packet as the 101 and is not lost.
 * Run: npm run build && npx tsc -p tsconfig.examples.json && node build/examples/upgrade-custom-protocol.js
 */
import http from 'node:http';
import type net from 'node:net';
import { pathToFileURL } from 'node:url';
import { Session } from 'streamtask';

function startServer(): Promise<http.Server> {
  const server = http.createServer((_request, response) => {
    response.writeHead(426, { Upgrade: 'x-counter/1' }).end('this endpoint speaks x-counter/1 only\n');
  });
  server.on('upgrade', (request: http.IncomingMessage, socket: net.Socket) => {
    if (request.headers.upgrade !== 'x-counter/1') return void socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    // The 101 head and the protocol's first line in one write.
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-counter/1\r\nConnection: Upgrade\r\n\r\nHELLO counter ready\n');
    let total = 0;
    let pending = '';
    socket.on('data', (data: Buffer) => {
      pending += data.toString();
      let end: number;
      while ((end = pending.indexOf('\n')) >= 0) {
        total += Number(pending.slice(0, end));
        pending = pending.slice(end + 1);
        socket.write(`TOTAL ${total}\n`);
      }
    });
    socket.on('end', () => socket.end('BYE\n'));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function runUpgradeExample(log: (line: string) => void = console.log): Promise<string[]> {
  const server = await startServer();
  const { port } = server.address() as net.AddressInfo;
  await using session = new Session({ timeoutIntervalForRequest: 5000 });
  const lines: string[] = [];
  try {
    const { response, task } = await session.upgrade(`http://127.0.0.1:${port}/counter`, {
      protocol: 'x-counter/1',
      headers: { 'User-Agent': 'streamtask-example' },
    });
    log(`upgraded: ${response.status} ${response.statusText}, Upgrade: ${response.headers.upgrade}`);
    lines.push((await task.readLine())!);
    for (const n of [5, 10, 27]) {
      await task.write(`${n}\n`);
      lines.push((await task.readLine())!);
    }
    await task.closeWrite();
    for await (const line of task.lines()) lines.push(line);
    await task.closed;
    for (const line of lines) log(`server: ${line}`);
    return lines;
  } finally {
    server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runUpgradeExample();
}
