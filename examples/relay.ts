/**
 * A relay: two tasks, their captured streams piped into each other, so whatever one server sends
 * reaches the other. Both servers are started here on 127.0.0.1. Run:
 *   npm run build && npx tsc -p tsconfig.examples.json && node build/examples/relay.js
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { Session } from 'streamtask';

const SIZE = 64 * 1024 * 1024;

/** Sends SIZE bytes, then FIN. */
function startProducer(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const chunk = Buffer.alloc(1024 * 1024, 'streamtask ');
    let sent = 0;
    const pump = (): void => {
      while (sent < SIZE) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    pump();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Hashes what it receives; at FIN answers with the byte count and digest, then closes. */
function startConsumer(): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256');
    let received = 0;
    socket.on('data', (data: Buffer) => {
      received += data.length;
      hash.update(data);
    });
    socket.on('end', () => socket.end(`${received} bytes, sha256 ${hash.digest('hex').slice(0, 16)}…\n`));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function runRelay(log: (line: string) => void = console.log): Promise<string> {
  const producer = await startProducer();
  const consumer = await startConsumer();
  await using session = new Session();
  try {
    const from = await session.connect('127.0.0.1', (producer.address() as net.AddressInfo).port);
    const to = await session.connect('127.0.0.1', (consumer.address() as net.AddressInfo).port);
    const a = await from.captureStreams();
    const b = await to.captureStreams();
    const started = performance.now();
    // Producer → consumer; pipeTo closes b.writable (our FIN) when the producer's FIN arrives.
    await a.readable.pipeTo(b.writable);
    const seconds = (performance.now() - started) / 1000;
    log(`relayed ${SIZE / 1024 / 1024} MiB in ${seconds.toFixed(2)} s (${(SIZE / 1024 / 1024 / seconds).toFixed(0)} MiB/s)`);
    // The consumer's answer comes back on the other stream; nothing goes back to the producer.
    let answer = '';
    for await (const chunk of b.readable.pipeThrough(new TextDecoderStream())) answer += chunk;
    await a.writable.close();
    log(`consumer says: ${answer.trim()}`);
    await Promise.all([from.closed, to.closed]);
    return answer.trim();
  } finally {
    producer.close();
    consumer.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runRelay();
}
