/**
 * SMTP with STARTTLS: greet in plaintext, upgrade the live connection to TLS, then send a message,
 * against an SMTP server (the smtp-server package) this program starts on 127.0.0.1 with a
 * certificate it makes with openssl. Run:
 *   npm run build && npx tsc -p tsconfig.examples.json && node build/examples/smtp-starttls.js
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { Session, type StreamTask } from 'streamtask';

/** Reads one SMTP reply (possibly multi-line: "250-…" lines, then "250 …"); returns its code and lines. */
async function readReply(task: StreamTask): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  for (;;) {
    const line = await task.readLine({ maxLength: 4096, timeout: 10_000 });
    if (line === null) throw new Error('the server closed the connection');
    lines.push(line);
    if (line[3] !== '-') return { code: Number(line.slice(0, 3)), lines };
  }
}

/** Sends a command and expects a reply code. */
async function command(task: StreamTask, text: string, expected: number, log: (line: string) => void): Promise<string[]> {
  log(`C: ${text}`);
  await task.write(`${text}\r\n`);
  const reply = await readReply(task);
  for (const line of reply.lines) log(`S: ${line}`);
  if (reply.code !== expected) throw new Error(`expected ${expected} after ${text}, got ${reply.lines.join(' / ')}`);
  return reply.lines;
}

/** The client: what a user of the library writes. */
export async function sendMail(port: number, ca: string, log: (line: string) => void): Promise<void> {
  await using session = new Session({ timeoutIntervalForRequest: 10_000 });
  const task = await session.connect('localhost', port);
  const greeting = await readReply(task);
  log(`S: ${greeting.lines.join(' / ')}`);
  const features = await command(task, 'EHLO client.example', 250, log);
  if (!features.some((line) => line.slice(4).toUpperCase() === 'STARTTLS')) throw new Error('no STARTTLS offered');
  // Read the go-ahead reply completely before upgrading: any plaintext left unread would make the
  // upgrade refuse (it could be injected by an attacker).
  await command(task, 'STARTTLS', 220, log);
  const tls = await task.startSecureConnection({ ca });
  log(`-- TLS: ${tls.protocol} ${tls.cipher}, server certificate ${tls.peerCertificate?.subject}`);
  await command(task, 'EHLO client.example', 250, log); // SMTP starts over after STARTTLS (RFC 3207)
  await command(task, 'MAIL FROM:<alice@example.com>', 250, log);
  await command(task, 'RCPT TO:<bob@example.com>', 250, log);
  await command(task, 'DATA', 354, log);
  await task.write('Subject: hello\r\n\r\nSent over STARTTLS with streamtask.\r\n.\r\n');
  log(`S: ${(await readReply(task)).lines.join(' / ')}`);
  await command(task, 'QUIT', 221, log);
  // A graceful end: our FIN, then the server's end of stream.
  await task.closeWrite();
  const { atEOF } = await task.readData({ timeout: 10_000 });
  log(`-- closed (end of stream: ${atEOF})`);
  await task.closed;
}

export async function runSmtpExample(log: (line: string) => void = console.log): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-example-'));
  const received: string[] = [];
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const server = new SMTPServer({
      key: readFileSync(join(dir, 'key.pem')),
      cert,
      authOptional: true,
      logger: false,
      onData(stream, _session, callback) {
        const parts: Buffer[] = [];
        stream.on('data', (part: Buffer) => parts.push(part));
        stream.on('end', () => {
          received.push(Buffer.concat(parts).toString());
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as net.AddressInfo;
    try {
      await sendMail(port, cert, log);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    log(`server received: ${JSON.stringify(received)}`);
    return received;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runSmtpExample();
}
