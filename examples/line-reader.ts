/**
 * Reading a line protocol with `for await`: a log server (started here) streams lines; the client
 * counts them by level and stops at the first ERROR, leaving the task open for one more command.
 * Run: npm run build && npx tsc -p tsconfig.examples.json && node build/examples/line-reader.js
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { Session } from 'streamtask';

function startLogServer(): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const levels = ['INFO', 'INFO', 'DEBUG', 'WARN', 'INFO', 'ERROR', 'INFO'];
    // CRLF and LF endings mixed, as real servers do; lines split across packets.
    socket.write(levels.map((level, i) => `${level} event ${i}${i % 2 ? '\r\n' : '\n'}`).join(''));
    socket.on('data', (command: Buffer) => {
      if (command.toString().trim() === 'STATS') socket.end(`STATS ${levels.length} lines sent\n`);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function runLineReader(log: (line: string) => void = console.log): Promise<Record<string, number>> {
  const server = await startLogServer();
  await using session = new Session();
  try {
    const task = await session.connect('127.0.0.1', (server.address() as net.AddressInfo).port);
    const counts: Record<string, number> = {};
    for await (const line of task.lines({ maxLength: 1024 })) {
      const level = line.split(' ')[0]!;
      counts[level] = (counts[level] ?? 0) + 1;
      log(`line: ${line}`);
      if (level === 'ERROR') break; // the task stays open; unread lines stay buffered
    }
    await task.write('STATS\n');
    await task.closeWrite();
    // The line after ERROR was still buffered: nothing was lost by breaking out.
    for await (const line of task.lines()) log(`after break: ${line}`);
    log(`counts: ${JSON.stringify(counts)}`);
    await task.closed;
    return counts;
  } finally {
    server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runLineReader();
}
