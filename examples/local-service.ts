/**
 * Finding a service on the local network by its DNS-SD type, over multicast DNS (what Bonjour and
 * Avahi answer), then talking to it. The example plays the printer too: a TCP server, and a
 * multicast-dns responder that announces it as "Demo Printer._streamtaskdemo._tcp.local" on this
 * machine's interfaces (a type of its own, so no real printer on your network answers; a real one
 * is `_ipp._tcp`). The task asks for the type in `local`, is answered, and connects.
 * Run: npm run build && npx tsc -p tsconfig.examples.json && node build/examples/local-service.js
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import makeMulticastDns from 'multicast-dns';
import { Session } from 'streamtask';

export async function runLocalServiceExample(log: (line: string) => void = console.log): Promise<string> {
  // The "printer": a line server, and its announcement over multicast DNS.
  const printer = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.write('READY demo printer\n');
    socket.on('data', (data) => socket.end(`PRINTED ${data.toString().trim()}\n`));
  });
  await new Promise<void>((resolve) => printer.listen(0, '127.0.0.1', resolve));
  const port = (printer.address() as net.AddressInfo).port;
  const responder = makeMulticastDns();
  const type = '_streamtaskdemo._tcp.local';
  const instance = `Demo Printer.${type}`;
  const host = 'demo-printer.local';
  responder.on('query', (query) => {
    if (!query.questions.some((question) => question.name.toLowerCase() === type && question.type === 'PTR')) return;
    responder.respond({
      answers: [{ name: type, type: 'PTR', ttl: 120, data: instance }],
      additionals: [
        { name: instance, type: 'SRV', ttl: 120, data: { priority: 0, weight: 0, port, target: host } },
        { name: host, type: 'A', ttl: 120, data: '127.0.0.1' },
      ],
    });
  });

  await using session = new Session({ timeoutIntervalForRequest: 3000 });
  try {
    const task = session.streamTask({ service: { type: '_streamtaskdemo._tcp', domain: 'local' } });
    task.resume();
    const info = await task.opened;
    log(`found ${task.host} port ${task.port}, connected to ${info.remoteAddress}`);
    log(`printer: ${await task.readLine()}`);
    await task.write('hello from streamtask\n');
    const answer = (await task.readLine())!;
    log(`printer: ${answer}`);
    await task.closeWrite();
    await task.readData();
    await task.closed;
    return answer;
  } finally {
    await new Promise<void>((resolve) => responder.destroy(() => resolve()));
    await new Promise<void>((resolve) => printer.close(() => resolve()));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runLocalServiceExample();
}
