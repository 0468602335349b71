import { afterEach, describe, expect, test } from '@jest/globals';
import { AssertionError } from 'node:assert';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createProxy } from 'proxy';
import socks5 from 'simple-socks';
import { bypasses, chooseProxy } from '../lib/connect/proxy.js';
import { Session } from '../lib/index.js';
import { expectCode, text } from './helpers/fixture.js';
import { settle, unusedPort } from './helpers/peer.js';
import { expectTunnel, useProxiedTargets } from './helpers/proxied-targets.js';

const setting = useProxiedTargets();

/** Starts a server, runs `test`, closes the server and every connection it holds. */
async function withServer<S extends net.Server>(server: S, run: (port: number) => Promise<void>): Promise<void> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await run((server.address() as net.AddressInfo).port);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const httpProxy = (): http.Server => {
  const proxy = createProxy(http.createServer());
  proxy.authenticate = (request) => request.headers['proxy-authorization'] === `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
  return proxy;
};

describe('HTTP CONNECT proxy', () => {
  test('tunnels with Basic authentication; the target\'s first bytes survive; metrics say proxied', async () => {
    await withServer(httpProxy(), async (proxyPort) => {
      const task = await setting.session.connect('127.0.0.1', setting.target.port, { proxy: { http: `http://alice:s3cret@127.0.0.1:${proxyPort}` } });
      await expectTunnel(task, setting.target, 'through the tunnel');
      expect(task.metrics.remotePort).toBe(proxyPort);
    });
  });

  test('wrong credentials: badServerResponse with the 407', async () => {
    await withServer(httpProxy(), async (proxyPort) => {
      const result = await settle(setting.session.connect('127.0.0.1', setting.target.port, { proxy: { http: `http://alice:wrong@127.0.0.1:${proxyPort}` } }));
      const error = expectCode(result.error, 'badServerResponse', -1011);
      expect(error.message).toMatch(new RegExp(`^connect via HTTP proxy to 127\\.0\\.0\\.1:${setting.target.port}: the proxy refused the tunnel: 407`));
      expect(error.response?.status).toBe(407);
    });
  });

  test('TLS from the first byte through the tunnel verifies the target, not the proxy', async () => {
    await withServer(httpProxy(), async (proxyPort) => {
      const task = await setting.session.connect('localhost', setting.tlsTarget.port, {
        proxy: { http: `http://alice:s3cret@127.0.0.1:${proxyPort}` },
        tls: { ca: setting.certs.ca },
      });
      expect((await task.opened).tls?.servername).toBe('localhost');
      await task.write('secret');
      expect(text(await task.readExactly(6))).toBe('SECRET');
    });
  });

  test.each([
    ['a 2xx with Content-Length opens the tunnel at once (the length means nothing there)', 'HTTP/1.1 200 Connection established\r\nContent-Length: 1000\r\n\r\n'],
    ['a reply whose lines end in bare LF opens the tunnel at once (RFC 9112 §2.2)', 'HTTP/1.1 200 Connection established\nProxy-Agent: old\n\n'],
  ])('%s', async (_name, reply) => {
    const fake = net.createServer((client) => {
      client.once('data', () => {
        const upstream = net.connect(setting.target.port, '127.0.0.1', () => {
          client.write(reply);
          upstream.pipe(client).pipe(upstream);
        });
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
    });
    await withServer(fake, async (proxyPort) => {
      const task = await setting.session.connect('127.0.0.1', setting.target.port, { proxy: { http: `http://127.0.0.1:${proxyPort}` } });
      expect(await task.readLine({ timeout: 2000 })).toBe('HELLO FROM TARGET');
    });
  });

  test('a proxy that answers 200 plus injected bytes cannot get them read as TLS data', async () => {
    const evil = net.createServer((client) => {
      client.once('data', () => client.write('HTTP/1.1 200 OK\r\n\r\nINJECTED'));
      client.on('error', () => {});
    });
    await withServer(evil, async (proxyPort) => {
      const result = await settle(setting.session.connect('localhost', setting.tlsTarget.port, { proxy: { http: `http://127.0.0.1:${proxyPort}` }, tls: { ca: setting.certs.ca } }));
      const error = expectCode(result.error, 'secureConnectionFailed');
      expect(error.message).toMatch(/8 bytes of plaintext arrived before the TLS upgrade/);
    });
  });
});

describe('SOCKS5 proxy', () => {
  const socksServer = (auth: boolean): net.Server =>
    socks5.createServer(auth ? {
      authenticate: (username: string, password: string, _socket: net.Socket, callback: (error?: Error) => void) =>
        // An Error of Node's own realm: simple-socks' domain.intercept does not see one made in Jest's.
        setImmediate(callback, username === 'bob' && password === 'pw' ? undefined : new AssertionError({ message: 'no' })),
    } : undefined) as unknown as net.Server;

  test('without authentication, the name resolved by the proxy; the target\'s first bytes survive', async () => {
    await withServer(socksServer(false), async (proxyPort) => {
      const task = await setting.session.connect('localhost', setting.target.port, { proxy: { socks: `socks5h://127.0.0.1:${proxyPort}` } });
      await expectTunnel(task, setting.target, 'via socks');
    });
  });

  test('with username and password; TLS through it; wrong credentials are refused', async () => {
    await withServer(socksServer(true), async (proxyPort) => {
      const task = await setting.session.connect('localhost', setting.tlsTarget.port, { proxy: { socks: `socks5://bob:pw@127.0.0.1:${proxyPort}` }, tls: { ca: setting.certs.ca } });
      await task.write('tls in socks');
      expect(text(await task.readExactly(12))).toBe('TLS IN SOCKS');
      const refused = await settle(setting.session.connect('localhost', setting.target.port, { proxy: { socks: `socks5://bob:nope@127.0.0.1:${proxyPort}` } }));
      expect(expectCode(refused.error, 'cannotConnectToHost').message).toMatch(/refused the username and password/);
    });
  });

  test('a target the proxy cannot reach: cannotConnectToHost with the SOCKS reason', async () => {
    const deadPort = await unusedPort();
    await withServer(socksServer(false), async (proxyPort) => {
      const result = await settle(setting.session.connect('127.0.0.1', deadPort, { proxy: { socks: `socks5://127.0.0.1:${proxyPort}` } }));
      expect(expectCode(result.error, 'cannotConnectToHost').message).toMatch(/^connect via SOCKS5 proxy to 127\.0\.0\.1:\d+: the proxy could not connect to the target/);
    });
  });
});

describe('SOCKS5 requests, byte by byte (a recording proxy)', () => {
  /** A SOCKS5 proxy that records every byte it is sent and, for CONNECT, answers success and echoes. */
  const recordingProxy = (): { server: net.Server; received: () => Buffer; connections: () => number } => {
    const chunks: Buffer[] = [];
    let connections = 0;
    const server = net.createServer((client) => {
      connections++;
      client.on('error', () => {});
      let stage = 0;
      client.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (stage === 0) client.write(Buffer.from([5, 0]));
        else if (stage === 1) client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 80]));
        else client.write(chunk);
        stage++;
      });
    });
    return { server, received: () => Buffer.concat(chunks), connections: () => connections };
  };

  test('an IPv4-mapped IPv6 target is sent as the IPv4 address it names (ATYP 1); a plain IPv6 one as ATYP 4', async () => {
    const proxy = recordingProxy();
    await withServer(proxy.server, async (proxyPort) => {
      const mapped = await setting.session.connect('::ffff:127.0.0.1', 8080, { proxy: { socks: `socks5://127.0.0.1:${proxyPort}` } });
      await mapped.write('ping');
      expect(text(await mapped.readExactly(4))).toBe('ping');
      // greeting 05 01 00, then CONNECT 05 01 00 | ATYP 01 | 127.0.0.1 | port 8080, then our bytes
      expect(proxy.received().toString('hex')).toBe(`050100${'05010001'}7f000001${'1f90'}${Buffer.from('ping').toString('hex')}`);
      mapped.cancel();
    });
    const v6 = recordingProxy();
    await withServer(v6.server, async (proxyPort) => {
      const task = await setting.session.connect('2001:db8::1:2', 443, { proxy: { socks: `socks5://127.0.0.1:${proxyPort}` } });
      expect(v6.received().toString('hex')).toBe(`050100050100042001${'0db8'}${'0000'.repeat(4)}00010002${'01bb'}`);
      task.cancel();
    });
  });

  test('a username or password over 255 bytes is refused at once with RangeError, and nothing is sent', async () => {
    const proxy = recordingProxy();
    await withServer(proxy.server, async (proxyPort) => {
      const long = 'u'.repeat(300);
      expect(() => setting.session.streamTask('127.0.0.1', 80, { proxy: { socks: `socks5://${long}:pw@127.0.0.1:${proxyPort}` } }))
        .toThrow(new RangeError('Expected the username of `options.proxy.socks` to be at most 255 bytes in UTF-8 (RFC 1929), got 300'));
      await expect(setting.session.connect('127.0.0.1', 80, { proxy: { socks: `socks5://bob:${'é'.repeat(128)}@127.0.0.1:${proxyPort}` } }))
        .rejects.toThrow(/password of `options.proxy.socks` to be at most 255 bytes in UTF-8 \(RFC 1929\), got 256$/);
      expect(() => new Session({ proxy: { socks: `socks5://${long}@127.0.0.1:1080` } })).toThrow(RangeError);
      // 255 bytes exactly is allowed (the proxy is then asked for username/password auth).
      expect(() => setting.session.streamTask('127.0.0.1', 80, { proxy: { socks: `socks5://${'u'.repeat(255)}:pw@127.0.0.1:${proxyPort}` } }).cancel()).not.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(proxy.connections()).toBe(0);
    });
  });
});

describe("proxy: 'env'", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  test('HTTPS_PROXY is used, NO_PROXY bypasses it', async () => {
    await withServer(httpProxy(), async (proxyPort) => {
      process.env.HTTPS_PROXY = `http://alice:s3cret@127.0.0.1:${proxyPort}`;
      const proxied = await setting.session.connect('127.0.0.1', setting.target.port, { proxy: 'env' });
      expect(proxied.metrics.isProxyConnection).toBe(true);
      process.env.NO_PROXY = 'example.com,127.0.0.1';
      const direct = await setting.session.connect('127.0.0.1', setting.target.port, { proxy: 'env' });
      expect(direct.metrics.isProxyConnection).toBe(false);
      expect(await direct.readLine()).toBe('HELLO FROM TARGET');
    });
  });

  test('ALL_PROXY with a socks5 URL, and curl\'s NO_PROXY rules', () => {
    const env = { ALL_PROXY: 'socks5h://10.0.0.1:1080', NO_PROXY: '.internal,db:5432' };
    expect(chooseProxy('env', 'api.example.com', 443, env)).toMatchObject({ kind: 'socks5', host: '10.0.0.1', port: 1080 });
    expect(chooseProxy('env', 'a.b.internal', 443, env)).toBeNull();
    expect(chooseProxy('env', 'db', 5432, env)).toBeNull();
    expect(chooseProxy('env', 'db', 5433, env)).not.toBeNull();
    expect(bypasses('*', 'anything', 1)).toBe(true);
    expect(bypasses('example.com', 'www.example.com', 1)).toBe(true);
    expect(bypasses('example.com', 'notexample.com', 1)).toBe(false);
    expect(chooseProxy('env', 'x', 1, {})).toBeNull();
  });
});
