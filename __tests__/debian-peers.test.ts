/**
 * The servers users meet, from Debian's packages: tinyproxy (HTTP CONNECT), Dante (SOCKS5),
 * websocketd (HTTP Upgrade to WebSocket), Dovecot (IMAP with STARTTLS) and Postfix (SMTP with
 * STARTTLS). The other test files
 * use npm peers that a test can steer; these are the daemons as they ship, each with a
 * configuration of its own on a free loopback port (helpers/debian-daemons.ts, debian-daemon-specs.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { StreamTask } from '../lib/index.js';
import { cli } from './helpers/cli-process.js';
import { danteSpec, dovecotSpec, postfixSpec, tinyproxySpec, TINYPROXY_PASSWORD, TINYPROXY_USER, websocketdSpec } from './helpers/debian-daemon-specs.js';
import { missing, startDaemon, type Daemon, type DaemonSpec } from './helpers/debian-daemons.js';
import { expectCode, text } from './helpers/fixture.js';
import { settle, unusedPort } from './helpers/peer.js';
import { expectTunnel, useProxiedTargets } from './helpers/proxied-targets.js';
import { clientFrame, readServerFrame } from './helpers/websocket-frames.js';

const setting = useProxiedTargets();

/**
 * A describe with the daemon `spec()` makes running around its tests (started once, stopped
 * after), or skipped with `why` where it cannot run here (missing, or not root where it needs it).
 */
function describeDaemon(why: string | null, name: string, spec: () => DaemonSpec, body: (daemon: { readonly port: number }) => void): void {
  if (why !== null) console.warn(why);
  (why === null ? describe : describe.skip)(name, () => {
    let daemon: Daemon | undefined;
    beforeAll(async () => {
      daemon = await startDaemon(spec());
    });
    afterAll(async () => {
      await daemon?.stop();
    });
    body({ get port() { return daemon!.port; } });
  });
}

describeDaemon(missing('tinyproxy', 'tinyproxy'), 'tinyproxy as an HTTP CONNECT proxy', tinyproxySpec, (proxy) => {
  const via = (credentials: string): { proxy: { http: string } } => ({ proxy: { http: `http://${credentials}@127.0.0.1:${proxy.port}` } });

  test('tunnels with Basic authentication; the target\'s first bytes and ours both arrive', async () => {
    const task = await setting.session.connect('127.0.0.1', setting.target.port, via(`${TINYPROXY_USER}:${TINYPROXY_PASSWORD}`));
    await expectTunnel(task, setting.target, 'through tinyproxy');
  });

  test('wrong credentials: badServerResponse carrying tinyproxy\'s answer (it says 401, not 407)', async () => {
    const result = await settle(setting.session.connect('127.0.0.1', setting.target.port, via(`${TINYPROXY_USER}:wrong`)));
    const error = expectCode(result.error, 'badServerResponse');
    expect(error.response?.status).toBe(401);
    expect(error.message).toMatch(/the proxy refused the tunnel: 401/);
    const without = await settle(setting.session.connect('127.0.0.1', setting.target.port, { proxy: { http: `http://127.0.0.1:${proxy.port}` } }));
    expect(expectCode(without.error, 'badServerResponse').response?.status).toBe(407);
  });

  test('TLS from the first byte through the tunnel verifies the target', async () => {
    const task = await setting.session.connect('localhost', setting.tlsTarget.port, { ...via(`${TINYPROXY_USER}:${TINYPROXY_PASSWORD}`), tls: { ca: setting.certs.ca } });
    expect((await task.opened).tls?.servername).toBe('localhost');
    await task.write('secret');
    expect(text(await task.readExactly(6))).toBe('SECRET');
  });

  test('a target tinyproxy cannot reach: badServerResponse with its 500', async () => {
    const result = await settle(setting.session.connect('127.0.0.1', await unusedPort(), via(`${TINYPROXY_USER}:${TINYPROXY_PASSWORD}`)));
    // The proxy's answer, as ways-in.md says for every status but 2xx.
    const error = expectCode(result.error, 'badServerResponse');
    expect(error.response?.status).toBe(500);
    expect(error.message).toMatch(/the proxy refused the tunnel: 500 Unable to connect/);
  });
});

describeDaemon(missing('danted', 'dante-server', true), 'Dante as a SOCKS5 proxy', danteSpec, (proxy) => {

  test('socks5h: the proxy resolves the name; bytes both ways', async () => {
    const task = await setting.session.connect('localhost', setting.target.port, { proxy: { socks: `socks5h://127.0.0.1:${proxy.port}` } });
    await expectTunnel(task, setting.target, 'through dante');
  });

  test('TLS through the proxy verifies the target', async () => {
    const task = await setting.session.connect('localhost', setting.tlsTarget.port, { proxy: { socks: `socks5://127.0.0.1:${proxy.port}` }, tls: { ca: setting.certs.ca } });
    await task.write('tls in socks');
    expect(text(await task.readExactly(12))).toBe('TLS IN SOCKS');
  });

  test('a target Dante cannot reach: cannotConnectToHost with the SOCKS reason', async () => {
    const result = await settle(setting.session.connect('127.0.0.1', await unusedPort(), { proxy: { socks: `socks5://127.0.0.1:${proxy.port}` } }));
    expect(expectCode(result.error, 'cannotConnectToHost').message).toMatch(/via SOCKS5 proxy/);
  });
});

describeDaemon(missing('websocketd', 'websocketd'), 'websocketd: Upgrade to WebSocket', websocketdSpec, (server) => {

  test('101 with a verified accept key, then messages echoed frame by frame, then a close', async () => {
    const { response, task } = await setting.session.upgrade(`ws://127.0.0.1:${server.port}/`);
    expect(response.status).toBe(101);
    for (const message of ['first line', 'second line']) {
      await task.write(clientFrame(1, Buffer.from(message)));
      const echo = await readServerFrame(task);
      expect([echo.opcode, echo.payload.toString()]).toEqual([1, message]);
    }
    await task.write(clientFrame(8, Buffer.from([0x03, 0xe8]))); // close, 1000
    expect((await readServerFrame(task)).opcode).toBe(8);
  });
});

describeDaemon(missing('dovecot', 'dovecot-imapd', true), 'Dovecot: IMAP with STARTTLS', () => dovecotSpec(setting.certs), (imap) => {

  /** Reads untagged lines up to the tagged one, which it returns. */
  async function untilTagged(task: StreamTask, tag: string): Promise<string> {
    for (;;) {
      const line = await task.readLine();
      if (line === null) throw new Error(`the server closed before answering ${tag}`);
      if (line.startsWith(`${tag} `)) return line;
    }
  }

  test('STARTTLS in place, LOGIN, APPEND and FETCH with literals, LOGOUT to the end of stream', async () => {
    const task = await setting.session.connect('localhost', imap.port);
    expect(await task.readLine()).toMatch(/^\* OK \[CAPABILITY [^\]]*STARTTLS/);
    await task.write('a1 STARTTLS\r\n');
    expect(await task.readLine()).toMatch(/^a1 OK/);
    const secured = await task.startSecureConnection({ ca: setting.certs.ca });
    expect(secured.protocol).toMatch(/^TLSv1\.[23]$/);
    await task.write('a2 LOGIN alice pw\r\n');
    expect(await untilTagged(task, 'a2')).toMatch(/^a2 OK/);
    const message = 'Subject: hello\r\n\r\nsent by streamtask\r\n';
    await task.write(`a3 APPEND INBOX {${message.length}}\r\n`);
    expect(await task.readLine()).toMatch(/^\+ /);
    await task.write(`${message}\r\n`);
    expect(await untilTagged(task, 'a3')).toMatch(/^a3 OK/);
    await task.write('a4 SELECT INBOX\r\n');
    expect(await untilTagged(task, 'a4')).toMatch(/^a4 OK/);
    await task.write('a5 FETCH 1 BODY[]\r\n');
    const head = await task.readLine();
    const length = Number(/\{(\d+)\}$/.exec(head ?? '')?.[1]);
    expect(length).toBe(message.length);
    expect(text(await task.readExactly(length))).toBe(message);
    expect(await task.readLine()).toBe(')');
    expect(await untilTagged(task, 'a5')).toMatch(/^a5 OK/);
    await task.write('a6 LOGOUT\r\n');
    expect(await task.readLine()).toMatch(/^\* BYE/);
    expect(await task.readLine()).toMatch(/^a6 OK/);
    expect((await task.readData()).atEOF).toBe(true);
  });

  // Over TLS, Dovecot answers nothing once the client's side closed (close_notify, FIN), so the
  // tool keeps its side open and the server's close after LOGOUT ends the session.
  test('the command-line tool: --starttls imap --no-shutdown, the conversation piped over TLS, exit 0', async () => {
    const run = await cli(['--starttls', 'imap', '--no-shutdown', '--ca', setting.certs.caPath, '-v', 'localhost', String(imap.port)],
      'a1 LOGIN alice pw\r\na2 LOGOUT\r\n');
    expect(run.stderr).toMatch(/imap: the server agreed to STARTTLS/);
    expect(run.stderr).toMatch(/verified as localhost/);
    expect(run.stdout.toString()).toMatch(/^a1 OK .*\r\n\* BYE .*\r\na2 OK /ms);
    expect(run.code).toBe(0);
  });

  test('STARTTLS without our CA: serverCertificateUntrusted, and the task fails with it', async () => {
    const task = await setting.session.connect('localhost', imap.port);
    await task.readLine();
    await task.write('a1 STARTTLS\r\n');
    expect(await task.readLine()).toMatch(/^a1 OK/);
    expectCode((await settle(task.startSecureConnection())).error, 'serverCertificateUntrusted');
    expectCode((await settle(task.closed)).error, 'serverCertificateUntrusted');
  });
});

describeDaemon(missing('postfix', 'postfix', true), 'Postfix: SMTP with STARTTLS', () => postfixSpec(setting.certs), (smtp) => {

  /** One SMTP reply, all its lines: the last has a space after the code. */
  async function reply(task: StreamTask): Promise<string> {
    const lines: string[] = [];
    for (;;) {
      const line = await task.readLine();
      if (line === null) throw new Error(`the server closed after ${JSON.stringify(lines)}`);
      lines.push(line);
      if (/^\d{3} /.test(line)) return lines.join('\n');
    }
  }

  test('STARTTLS in place, a message queued, QUIT to the end of stream', async () => {
    const task = await setting.session.connect('localhost', smtp.port);
    expect(await reply(task)).toMatch(/^220 streamtask\.test ESMTP/);
    await task.write('EHLO client.test\r\n');
    expect(await reply(task)).toMatch(/^250[- ]STARTTLS$/m);
    await task.write('STARTTLS\r\n');
    expect(await reply(task)).toMatch(/^220 /);
    expect((await task.startSecureConnection({ ca: setting.certs.ca })).protocol).toMatch(/^TLSv1\.[23]$/);
    await task.write('EHLO client.test\r\n');
    expect(await reply(task)).not.toMatch(/STARTTLS/);
    for (const [command, answer] of [['MAIL FROM:<a@client.test>', /^250 /], ['RCPT TO:<b@localhost>', /^250 /], ['DATA', /^354 /]] as const) {
      await task.write(`${command}\r\n`);
      expect(await reply(task)).toMatch(answer);
    }
    await task.write('Subject: hello\r\n\r\nsent by streamtask\r\n.\r\n');
    expect(await reply(task)).toMatch(/^250 .*queued/);
    await task.write('QUIT\r\n');
    expect(await reply(task)).toMatch(/^221 /);
    expect((await task.readData()).atEOF).toBe(true);
  });

  test('the command-line tool: --starttls smtp with EHLO and QUIT piped in, exit 0', async () => {
    const run = await cli(['--starttls', 'smtp', '--ca', setting.certs.caPath, '-v', 'localhost', String(smtp.port)],
      'EHLO cli.test\r\nQUIT\r\n');
    expect(run.stderr).toMatch(/smtp: the server agreed to STARTTLS/);
    expect(run.stdout.toString()).toMatch(/^250[- ].*^221 /ms);
    expect(run.code).toBe(0);
  });
});
