/**
 * A connection through a local HTTP CONNECT proxy with Basic authentication (the `proxy` package,
 * started here), to a target server also started here; then the same through SOCKS5 is one line:
 * `proxy: { socks: 'socks5://user:pass@host:1080' }`. With `proxy: 'env'`, HTTPS_PROXY, ALL_PROXY
 * and NO_PROXY are honoured as curl does.
 * Run: npm run build && npx tsc -p tsconfig.examples.json && node build/examples/through-a-proxy.js
 */
import http from 'node:http';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { createProxy } from 'proxy';
import { Session } from 'streamtask';

export async function runProxyExample(log: (line: string) => void = console.log): Promise<string> {
  const target = net.createServer((socket) => {
    socket.write('220 target says hello\n');
    socket.on('data', (data) => socket.end(`you said: ${data.toString().trim()}\n`));
  });
  const proxy = createProxy(http.createServer());
  proxy.authenticate = (request) => request.headers['proxy-authorization'] === `Basic ${Buffer.from('demo:secret').toString('base64')}`;
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as net.AddressInfo).port;
  const proxyPort = (proxy.address() as net.AddressInfo).port;

  await using session = new Session({ proxy: { http: `http://demo:secret@127.0.0.1:${proxyPort}` } });
  try {
    const task = await session.connect('127.0.0.1', targetPort);
    log(`connected through ${task.metrics.isProxyConnection ? `the proxy on port ${proxyPort}` : 'no proxy'}`);
    log(`target: ${await task.readLine()}`);
    await task.write('hello through the tunnel\n');
    const answer = (await task.readLine())!;
    log(`target: ${answer}`);
    await task.closeWrite();
    await task.readData();
    await task.closed;
    return answer;
  } finally {
    proxy.closeAllConnections();
    proxy.close();
    target.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runProxyExample();
}
