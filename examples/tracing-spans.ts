/**
 * Tracing with diagnostics_channel: one OpenTelemetry-style span per task (name, start and end
 * times, attributes named after OpenTelemetry's network conventions, events, status), built only
 * from the `streamtask:task:*` channels; the application's code is not touched. To export them,
 * hand each finished span to your tracer (for example `tracer.startSpan(name, { startTime })`
 * at open and `span.end(endTime)` at close): this example prints them as JSON.
 * Run: npm run build && npx tsc -p tsconfig.examples.json && node build/examples/tracing-spans.js
 */
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { CHANNELS, Session, type StreamTask, type TaskCloseMessage, type TaskCreateMessage, type TaskErrorMessage, type TaskOpenMessage, type TaskSecureMessage } from 'streamtask';

export interface Span {
  name: string;
  startTime: number;
  endTime?: number;
  attributes: Record<string, string | number>;
  events: { name: string; time: number }[];
  status: { code: 'OK' | 'ERROR'; message?: string };
}

/** Subscribes to the task channels; every finished span goes to `onSpan`. Returns the unsubscriber. */
export function traceTasks(onSpan: (span: Span) => void): () => void {
  const spans = new WeakMap<StreamTask, Span>();
  const handlers: Record<string, (message: unknown) => void> = {
    [CHANNELS.create]: (message) => {
      const { task } = message as TaskCreateMessage;
      spans.set(task, {
        name: `streamtask ${task.path ?? `${task.host}:${task.port}`}`,
        startTime: performance.timeOrigin + performance.now(),
        attributes: task.path === null ? { 'server.address': task.host, 'server.port': task.port } : { 'network.transport': 'unix', 'server.address': task.path },
        events: [],
        status: { code: 'OK' },
      });
    },
    [CHANNELS.open]: (message) => {
      const { task, connection } = message as TaskOpenMessage;
      const span = spans.get(task);
      if (span === undefined) return;
      if (connection.remoteAddress !== '') span.attributes['network.peer.address'] = connection.remoteAddress;
      if (connection.remotePort !== 0) span.attributes['network.peer.port'] = connection.remotePort;
      span.events.push({ name: 'open', time: Date.now() });
    },
    [CHANNELS.secure]: (message) => {
      const { task, secure } = message as TaskSecureMessage;
      const span = spans.get(task);
      if (span === undefined) return;
      span.attributes['tls.protocol.version'] = secure.protocol;
      span.attributes['tls.cipher'] = secure.cipher;
      span.events.push({ name: 'secure', time: Date.now() });
    },
    [CHANNELS.error]: (message) => {
      const { task, error } = message as TaskErrorMessage;
      const span = spans.get(task);
      // A cancel is how a client ends most connections: not an error of the span.
      if (span !== undefined && error.code !== 'cancelled') span.status = { code: 'ERROR', message: `${error.code}: ${error.message}` };
    },
    [CHANNELS.close]: (message) => {
      const { task, metrics } = message as TaskCloseMessage;
      const span = spans.get(task);
      if (span === undefined) return;
      spans.delete(task);
      span.endTime = Date.now();
      span.attributes['streamtask.bytes_sent'] = metrics.countOfBytesSent;
      span.attributes['streamtask.bytes_received'] = metrics.countOfBytesReceived;
      onSpan(span);
    },
  };
  for (const [name, handler] of Object.entries(handlers)) diagnostics.subscribe(name, handler);
  return () => {
    for (const [name, handler] of Object.entries(handlers)) diagnostics.unsubscribe(name, handler);
  };
}

/** Two traced tasks against a local echo server: one that ends well, one that is refused. */
export async function runTracingExample(log: (line: string) => void = console.log): Promise<Span[]> {
  const finished: Span[] = [];
  const stop = traceTasks((span) => {
    finished.push(span);
    log(JSON.stringify(span));
  });
  const server = net.createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await using session = new Session({ timeoutIntervalForRequest: 2000 });
  try {
    const task = await session.connect('127.0.0.1', port);
    await task.write('ping');
    await task.readData({ minLength: 4 });
    await task.closeWrite();
    await task.readData(); // the echo's end
    await task.closed;
    // A port that was just freed: nobody listens there.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freed = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await session.connect('127.0.0.1', freed).catch(() => {});
    return finished;
  } finally {
    stop();
    server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runTracingExample();
}
