/**
 * The command-line tool, run as a child process (the built dist/cli/main.js, as `npx streamtask`
 * runs it) against loopback servers: plain, TLS, an SMTP server for STARTTLS.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import dns from 'node:dns/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { makeCertificates, type TestCertificates } from './helpers/certificates.js';
import { cli } from './helpers/cli-process.js';
import { unusedPort } from './helpers/peer.js';
import { startTlsEchoPeer, type TlsPeer } from './helpers/tls-peers.js';


/** A plain server: on FIN, answers with the SHA-256 of everything it got, then its own FIN. On `path`, a Unix socket. */
async function startHashPeer(path?: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const hash = createHash('sha256');
    socket.on('data', (chunk: Buffer) => hash.update(chunk));
    socket.on('end', () => socket.end(`${hash.digest('hex')}\n`));
  });
  await new Promise<void>((resolve) => (path === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve)));
  return {
    port: path === undefined ? (server.address() as net.AddressInfo).port : 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let certificates: TestCertificates;
beforeAll(() => {
  certificates = makeCertificates();
});
afterAll(() => certificates.remove());

describe('streamtask HOST PORT', () => {
  test('pipes stdin binary-safe, half-closes at its end, prints the answer, exits 0', async () => {
    const peer = await startHashPeer();
    try {
      const payload = randomBytes(1024 * 1024);
      const run = await cli(['127.0.0.1', String(peer.port)], payload);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.toString()).toBe(`${createHash('sha256').update(payload).digest('hex')}\n`);
    } finally {
      await peer.close();
    }
  });

  test('-U PATH: the same over a Unix domain socket, as nc -U', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamtask-cli-'));
    const path = join(dir, 'hash.sock');
    const peer = await startHashPeer(path);
    try {
      const payload = randomBytes(64 * 1024);
      const run = await cli(['-U', path], payload);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.toString()).toBe(`${createHash('sha256').update(payload).digest('hex')}\n`);
      const missing = await cli(['-U', join(dir, 'nobody.sock')]);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toContain('nobody.sock');
      const both = await cli(['-U', path, 'localhost', '25']);
      expect(both.code).toBe(2);
    } finally {
      await peer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A server that, once it has read QUIT, answers "221 bye" (or nothing) and then resets the connection. */
  async function withResettingPeer(answer: string, run: (port: number) => Promise<void>): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      let got = '';
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        got += chunk.toString();
        if (!got.includes('QUIT\r\n')) return;
        const reset = (): void => void setTimeout(() => socket.resetAndDestroy(), 20);
        if (answer === '') reset();
        else socket.write(answer, reset);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run((server.address() as net.AddressInfo).port);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  test('a server that answers and then resets, once stdin ended and was all sent: the session ended well, exit 0 (-v says so)', async () => {
    await withResettingPeer('221 bye\r\n', async (port) => {
      const run = await cli(['-v', '127.0.0.1', String(port)], 'EHLO x\r\nQUIT\r\n');
      expect(run.stdout.toString()).toBe('221 bye\r\n');
      expect(run.stderr).toMatch(/the server reset the connection after all our input was sent and it had answered it/);
      expect(run.code).toBe(0);
    });
  });

  test('a reset while input was still to send, or before the server answered: connection lost, exit 7', async () => {
    await withResettingPeer('221 bye\r\n', async (port) => {
      const run = await cli(['127.0.0.1', String(port)], 'QUIT\r\n', true);
      expect(run.stdout.toString()).toBe('221 bye\r\n');
      expect(run.code).toBe(7);
    });
    await withResettingPeer('', async (port) => {
      const run = await cli(['127.0.0.1', String(port)], 'QUIT\r\n');
      expect(run.code).toBe(7);
      expect(run.stderr).toMatch(/^streamtask: .*127\.0\.0\.1/);
    });
  });

  test('a refused connection: one line on stderr, exit 4', async () => {
    const run = await cli(['127.0.0.1', String(await unusedPort())]);
    expect(run.code).toBe(4);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^streamtask: .*127\.0\.0\.1/);
  });

  test('bad arguments exit 2 with a hint; --help shows examples and exit codes', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/HOST PORT.*\n.*--help/);
    const badPort = await cli(['localhost', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/PORT must be an integer from 1 to 65535, got "70000"/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/Examples:[\s\S]*Exit codes:/);
  });

  test.each<[string[], RegExp]>([
    [['--upgrade', 'http://127.0.0.1:1/'], /--upgrade with an http: or https: URL needs --protocol NAME/],
    [['--upgrade', 'ftp://127.0.0.1/', '--protocol', 'x'], /--upgrade must be an http:, https:, ws: or wss: URL, got "ftp:\/\/127\.0\.0\.1\/"/],
    [['--upgrade', 'http://127.0.0.1:1/', '--protocol', 'a b'], /--protocol must be a protocol token/],
    [['--protocol', 'x', '127.0.0.1', '1'], /--protocol goes with --upgrade/],
    [['--timeout', '-5', '127.0.0.1', '1'], /^streamtask: --timeout must be an integer from 1 to 2147483647, got "-5"$/m],
    [['--timeout', '127.0.0.1', '1'], /--timeout must be an integer/],
    [['127.0.0.1', '1', '--timeout'], /--timeout needs a value/],
    [['--nope', '127.0.0.1', '1'], /unknown option --nope/],
    [['--tls=yes', '127.0.0.1', '1'], /--tls takes no value/],
    [['--tls', '--cert', 'c.pem', '127.0.0.1', '1'], /--cert and --key go together/],
    [['--cert', 'c.pem', '--key', 'k.pem', '127.0.0.1', '1'], /--cert, --key and --alpn are TLS options/],
    [['--tls', '--alpn', 'h2,,x', '127.0.0.1', '1'], /--alpn must be a comma-separated list/],
    [['-4', '-6', '127.0.0.1', '1'], /-4 and -6 exclude each other/],
    [['-4', '--proxy', 'http://127.0.0.1:1', 'localhost', '1'], /through --proxy the proxy resolves HOST/],
  ])('usage error, exit 2, naming the flag: %j', async (args, message) => {
    const run = await cli(args);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(/Try 'streamtask --help'/);
    expect(run.code).toBe(2);
  });

  test('-4 and -6 connect to that family\'s address of HOST', async () => {
    const v6 = net.createServer((socket) => socket.end('six\n'));
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    const v4 = await startHashPeer();
    try {
      const v6Port = String((v6.address() as net.AddressInfo).port);
      const literal = await cli(['-6', '-v', '::1', v6Port]);
      expect(literal.stdout.toString()).toBe('six\n');
      expect(literal.code).toBe(0);
      // Whether "localhost" has an IPv6 address is this machine's /etc/hosts: both outcomes are right.
      const localhostHasV6 = await dns.lookup('localhost', { family: 6 }).then(() => true, () => false);
      const six = await cli(['-6', '-v', 'localhost', v6Port]);
      if (localhostHasV6) {
        expect(six.stderr).toMatch(/\* localhost is ::1 \(IPv6 only\)/);
        expect(six.stderr).toMatch(/\* connected to ::1 port/);
        expect(six.code).toBe(0);
      } else {
        expect(six.stderr).toMatch(/^streamtask: localhost has no IPv6 address \(ENOTFOUND\)$/m);
        expect(six.code).toBe(3);
      }
      const four = await cli(['-4', '-v', 'localhost', String(v4.port)], 'x');
      expect(four.code).toBe(0);
      expect(four.stderr).toMatch(/\* connected to 127\.0\.0\.1 port/);
    } finally {
      await v4.close();
      await new Promise((resolve) => v6.close(resolve));
    }
  });
});

describe('TLS', () => {
  let peer: TlsPeer;
  beforeAll(async () => {
    peer = await startTlsEchoPeer({ key: certificates.leaf.key, cert: certificates.leaf.cert });
  });
  afterAll(() => peer.close());

  test('--tls --ca -v: verified, and the details a person wants on stderr', async () => {
    const run = await cli(['--tls', '--ca', certificates.caPath, '-v', 'localhost', String(peer.port)], 'hello\n');
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe('HELLO\nBYE');
    expect(run.stderr).toMatch(/\* connected to 127\.0\.0\.1 port \d+ from .*connect \d+ ms/);
    expect(run.stderr).toMatch(/\* TLS TLSv1\.3 TLS_\w+, handshake \d+ ms, verified as localhost/);
    expect(run.stderr).toMatch(/\* certificate .*CN=localhost/);
    expect(run.stderr).toMatch(/\* certificate valid until \d{4}-.*\(\d+ days\)/);
    expect(run.stderr).toMatch(/\* sent 6 B, received 9 B in \d+\.\d+ s/);
  });

  test('--cert/--key present a client certificate; --alpn offers protocols (s_client\'s -cert, -key, -alpn)', async () => {
    const strict = await startTlsEchoPeer({
      key: certificates.leaf.key, cert: certificates.leaf.cert, ca: certificates.ca,
      requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['x-echo/1'],
    });
    try {
      const run = await cli(['--tls', '--ca', certificates.caPath, '--cert', certificates.client.certPath, '--key', certificates.client.keyPath,
        '--alpn', 'h2,x-echo/1', '-v', 'localhost', String(strict.port)], 'mtls\n');
      expect(run.stdout.toString()).toBe('MTLS\nBYE');
      expect(run.stderr).toMatch(/ALPN x-echo\/1/);
      expect(run.code).toBe(0);
      expect(strict.sessions[0]).toMatchObject({ authorized: true, alpn: 'x-echo/1' });
      const refused = await cli(['--tls', '--ca', certificates.caPath, 'localhost', String(strict.port)], 'x\n');
      expect(refused.code).not.toBe(0);
      const unreadable = await cli(['--tls', '--cert', '/nonexistent.pem', '--key', '/nonexistent.key', 'localhost', String(strict.port)]);
      expect(unreadable.code).toBe(2);
      expect(unreadable.stderr).toMatch(/cannot read --cert \/nonexistent\.pem/);
    } finally {
      await strict.close();
    }
  });

  test('an untrusted certificate exits 6; --insecure connects and warns loudly', async () => {
    const refused = await cli(['--tls', 'localhost', String(peer.port)], 'x');
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^streamtask: .*certificate/i);
    const insecure = await cli(['--tls', '--insecure', 'localhost', String(peer.port)], 'x');
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toMatch(/warning: --insecure: the server's certificate is NOT verified/);
  });
});

describe('--starttls smtp against a real SMTP server', () => {
  test('greets, upgrades, then pipes the conversation over TLS', async () => {
    const server = new SMTPServer({
      key: certificates.leaf.key,
      cert: certificates.leaf.cert,
      authOptional: true,
      logger: false,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as net.AddressInfo;
    try {
      const run = await cli(['--starttls', 'smtp', '--ca', certificates.caPath, '--servername', 'localhost', '-v', '127.0.0.1', String(port)],
        'EHLO cli.test\r\nQUIT\r\n');
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/smtp: the server agreed to STARTTLS/);
      expect(run.stderr).toMatch(/\* TLS TLSv1\.[23] .*verified as localhost/);
      const answer = run.stdout.toString();
      expect(answer).toMatch(/^250[- ]/m);
      expect(answer).not.toMatch(/STARTTLS/); // no longer offered once the connection is secure
      expect(answer).toMatch(/^221 /m);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('a server that never greets: the step times out, exit 5', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const run = await cli(['--starttls', 'smtp', '--timeout', '300', '127.0.0.1', String((silent.address() as net.AddressInfo).port)]);
      expect(run.code).toBe(5);
      expect(run.stderr).toMatch(/timed out after 300 ms/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('--progress', () => {
  test('a transfer over a second shows the live counter with a rate, then the summary', async () => {
    const sockets = new Set<net.Socket>();
    const slow = net.createServer((socket) => {
      sockets.add(socket);
      let sent = 0;
      const timer = setInterval(() => {
        socket.write(Buffer.alloc(16 * 1024, 1));
        if (++sent === 30) {
          clearInterval(timer);
          socket.end();
        }
      }, 50);
      socket.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const run = await cli(['--progress', '-v', '127.0.0.1', String((slow.address() as net.AddressInfo).port)], '', true);
      expect(run.code).toBe(0);
      expect(run.stdout.length).toBe(30 * 16 * 1024);
      expect(run.stderr).toMatch(/\r↑ 0 B ↓ \d+(\.\d)? (KiB|B) \d+(\.\d)? (KiB|B|MiB)\/s/);
      expect(run.stderr).toMatch(/\* sent 0 B, received 480\.0 KiB in/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});

describe('--upgrade', () => {
  test('sends the Upgrade request, reports the 101, then pipes the upgraded protocol', async () => {
    const http = await import('node:http');
    const server = http.createServer((_request, response) => response.writeHead(426).end());
    const sockets = new Set<import('node:stream').Duplex>();
    server.on('upgrade', (request, socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${request.headers.upgrade}\r\n\r\nhello\n`);
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/chat`;
      const run = await cli(['--upgrade', url, '--protocol', 'chat', '-v'], 'ping\n');
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/\* upgraded: 101 Switching Protocols, protocol chat/);
      expect(run.stdout.toString()).toBe('hello\nPING\n');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
