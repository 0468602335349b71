/**
 * streamtask demo: a line-protocol client (a tiny key-value store) against a server this
 * program starts itself on 127.0.0.1. Run it with `npm start`.
 *
 * It shows the core of the library: connect, awaited write and readLine with a time limit,
 * half-close with closeWrite, and reading the server's last words until end of stream.
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { Session, StreamTaskError } from 'streamtask';

/** The server: SET key value / GET key / QUIT, one command per line. */
function startServer(): Promise<net.Server> {
  const store = new Map<string, string>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let pending = '';
    socket.setEncoding('utf8');
    socket.write('+READY tiny-kv\n');
    socket.on('data', (text: string) => {
      pending += text;
      let end: number;
      while ((end = pending.indexOf('\n')) >= 0) {
        const [command, key = '', ...rest] = pending.slice(0, end).trim().split(' ');
        pending = pending.slice(end + 1);
        if (command === 'SET') {
          store.set(key, rest.join(' '));
          socket.write('+OK\n');
        } else if (command === 'GET') {
          socket.write(store.has(key) ? `$${store.get(key)}\n` : '-NOTFOUND\n');
        } else {
          socket.write(`-ERR unknown command ${command}\n`);
        }
      }
    });
    // Our client half-closes; the server answers after that, then closes its side.
    socket.on('end', () => socket.end(`+BYE ${store.size} keys stored\n`));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function runDemo(log: (line: string) => void = console.log): Promise<void> {
  const server = await startServer();
  const { port } = server.address() as net.AddressInfo;
  log(`server   listening on 127.0.0.1:${port}`);
  await using session = new Session({ timeoutIntervalForRequest: 5000 });
  try {
    const task = await session.connect('127.0.0.1', port);
    const info = await task.opened;
    log(`client   connected from ${info.localAddress}:${info.localPort}`);
    log(`server > ${await task.readLine({ timeout: 5000 })}`);
    for (const command of ['SET greeting hello from streamtask', 'GET greeting', 'GET missing', 'PING']) {
      log(`client < ${command}`);
      await task.write(`${command}\n`, { timeout: 5000 });
      log(`server > ${await task.readLine({ timeout: 5000 })}`);
    }
    await task.closeWrite();
    log('client   closeWrite(): FIN sent, still reading');
    for await (const line of task.lines()) log(`server > ${line}`);
    await task.closed;
    log(`client   done: state ${task.state}, ${task.countOfBytesSent} bytes sent, ${task.countOfBytesReceived} received`);
  } catch (error) {
    if (error instanceof StreamTaskError) log(`failed: ${error.code} (${error.message})`);
    throw error;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runDemo();
}
