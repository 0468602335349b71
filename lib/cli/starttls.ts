/**
 * What each protocol says before its TLS handshake (as `openssl s_client -starttls` does), spoken
 * with the task's own reads and writes; then the caller runs `startSecureConnection()`.
 */
import type { StreamTask } from '../index.js';

export const STARTTLS_PROTOCOLS = ['smtp', 'imap', 'pop3', 'xmpp', 'ftp', 'ldap', 'postgres'] as const;
export type StartTlsProtocol = (typeof STARTTLS_PROTOCOLS)[number];

/** The server said no (or something else) to the upgrade. */
export class StartTlsRefused extends Error {
  override name = 'StartTlsRefused';
}

const LIMIT = { maxLength: 8192 };

/** Reads one reply of a line protocol whose last line has a space after the code (SMTP, FTP). */
async function numericReply(task: StreamTask, timeout: number): Promise<string> {
  const lines: string[] = [];
  for (;;) {
    const line = await task.readLine({ ...LIMIT, timeout });
    if (line === null) throw new StartTlsRefused(`the server closed the connection after ${JSON.stringify(lines.join('\n'))}`);
    lines.push(line);
    if (/^\d{3}(?: |$)/.test(line)) return lines.join('\n');
  }
}

function expect(reply: string, pattern: RegExp, what: string): void {
  if (!pattern.test(reply)) throw new StartTlsRefused(`${what}: the server answered ${JSON.stringify(reply.slice(0, 200))}`);
}

/** Speaks `protocol` up to the point where the TLS handshake starts. */
export async function startTlsPreamble(task: StreamTask, protocol: StartTlsProtocol, host: string, timeout: number): Promise<void> {
  switch (protocol) {
    case 'smtp': {
      expect(await numericReply(task, timeout), /^220/, 'greeting');
      await task.write('EHLO streamtask\r\n');
      expect(await numericReply(task, timeout), /^250/m, 'EHLO');
      await task.write('STARTTLS\r\n');
      expect(await numericReply(task, timeout), /^220/, 'STARTTLS');
      return;
    }
    case 'ftp': {
      expect(await numericReply(task, timeout), /^220/, 'greeting');
      await task.write('AUTH TLS\r\n');
      expect(await numericReply(task, timeout), /^234/, 'AUTH TLS');
      return;
    }
    case 'pop3': {
      expect(await line(task, timeout), /^\+OK/, 'greeting');
      await task.write('STLS\r\n');
      expect(await line(task, timeout), /^\+OK/, 'STLS');
      return;
    }
    case 'imap': {
      expect(await line(task, timeout), /^\* (OK|PREAUTH)/i, 'greeting');
      await task.write('st1 STARTTLS\r\n');
      for (;;) {
        const reply = await line(task, timeout);
        if (reply.startsWith('st1 ')) return expect(reply, /^st1 OK/i, 'STARTTLS');
      }
    }
    case 'xmpp': {
      await task.write(`<?xml version='1.0'?><stream:stream to='${xmlEscape(host)}' xmlns='jabber:client' ` +
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
      const features = new TextDecoder().decode(await task.readUntil('</stream:features>', { maxLength: 65536, timeout }));
      expect(features, /<starttls/, 'stream features (no starttls offered)');
      await task.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      const answer = new TextDecoder().decode(await task.readUntil('>', { ...LIMIT, timeout }));
      expect(answer, /<proceed/, 'starttls');
      return;
    }
    case 'ldap': {
      // ExtendedRequest (RFC 4511 4.12) with the StartTLS OID (RFC 4511 4.14), message ID 1.
      const oid = Buffer.from('1.3.6.1.4.1.1466.20037');
      const request = Buffer.concat([Buffer.from([0x30, oid.length + 7, 0x02, 0x01, 0x01, 0x77, oid.length + 2, 0x80, oid.length]), oid]);
      await task.write(request);
      const head = await task.readExactly(2, { timeout });
      if (head[0] !== 0x30) throw new StartTlsRefused('the server did not answer with an LDAP message');
      const body = await task.readExactly(await berLength(task, head[1]!, timeout), { timeout });
      // messageID, then ExtendedResponse [APPLICATION 24] whose first element is resultCode (ENUMERATED).
      const at = body.indexOf(0x78);
      const lengthBytes = at < 0 ? 0 : (body[at + 1]! & 0x80) === 0 ? 1 : 1 + (body[at + 1]! & 0x7f);
      const result = at + 1 + lengthBytes;
      if (at < 0 || body[result] !== 0x0a || body[result + 2] !== 0) {
        throw new StartTlsRefused(`StartTLS: the server answered with result code ${at < 0 ? 'none' : body[result + 2]}`);
      }
      return;
    }
    case 'postgres': {
      // SSLRequest: length 8, code 80877103; the server answers one byte, 'S' for yes.
      const request = Buffer.alloc(8);
      request.writeUInt32BE(8, 0);
      request.writeUInt32BE(80877103, 4);
      await task.write(request);
      const [answer] = await task.readExactly(1, { timeout });
      if (answer !== 0x53) throw new StartTlsRefused(`SSLRequest: the server answered ${JSON.stringify(String.fromCharCode(answer!))}`);
      return;
    }
  }
}

async function line(task: StreamTask, timeout: number): Promise<string> {
  const text = await task.readLine({ ...LIMIT, timeout });
  if (text === null) throw new StartTlsRefused('the server closed the connection');
  return text;
}

/** A BER length: short form, or long form with up to 4 length bytes. */
async function berLength(task: StreamTask, first: number, timeout: number): Promise<number> {
  if (first < 0x80) return first;
  const count = first & 0x7f;
  if (count === 0 || count > 4) throw new StartTlsRefused('the server sent an LDAP message of unsupported length');
  return (await task.readExactly(count, { timeout })).reduce((length, byte) => length * 256 + byte, 0);
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
