/**
 * SOCKS5 (RFC 1928) with username/password (RFC 1929), as a preamble on the task's connection.
 * The target's name goes to the proxy (remote DNS). The reply is read to its exact length from
 * the task's buffer, so bytes the target sends right after it are the task's first bytes.
 */
import * as net from 'node:net';
import { streamTaskError, type StreamTaskErrorCode } from '../errors.js';
import type { Preamble } from './preamble.js';

const REPLIES: Record<number, [StreamTaskErrorCode, string]> = {
  1: ['badServerResponse', 'general SOCKS server failure'],
  2: ['cannotConnectToHost', 'connection not allowed by ruleset'],
  3: ['cannotConnectToHost', 'network unreachable'],
  4: ['cannotConnectToHost', 'host unreachable'],
  5: ['cannotConnectToHost', 'connection refused'],
  6: ['timedOut', 'TTL expired'],
  7: ['badServerResponse', 'command not supported'],
  8: ['badServerResponse', 'address type not supported'],
};

export interface SocksCredentials {
  username: string;
  password: string;
}

export function socks5Preamble(credentials: SocksCredentials | null): Preamble {
  return async (io) => {
    const context = io.context('connect via SOCKS5 proxy');
    const fail = (why: string, code: StreamTaskErrorCode = 'badServerResponse'): never => {
      throw streamTaskError(code, context, why);
    };
    // Greeting: offer "no authentication", and username/password when we have credentials.
    await io.write(Uint8Array.from(credentials === null ? [5, 1, 0] : [5, 2, 0, 2]));
    const [version, method] = await io.readExactly(2);
    if (version !== 5) fail(`not a SOCKS5 proxy (version ${version})`);
    if (method === 0xff) fail('the proxy accepts none of our authentication methods', 'cannotConnectToHost');
    if (method === 2) {
      if (credentials === null) fail('the proxy asked for a username and password we did not offer');
      const user = Buffer.from(credentials!.username, 'utf8');
      const pass = Buffer.from(credentials!.password, 'utf8');
      await io.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
      const [, status] = await io.readExactly(2);
      if (status !== 0) fail('the proxy refused the username and password', 'cannotConnectToHost');
    } else if (method !== 0) {
      fail(`the proxy chose an authentication method we did not offer (${method})`);
    }
    await io.write(connectRequest(io.host, io.port));
    // Reply: VER REP RSV ATYP, then an address whose length depends on ATYP, then the port.
    const [replyVersion, reply, , addressType] = await io.readExactly(4);
    if (replyVersion !== 5) fail(`malformed reply (version ${replyVersion})`);
    const addressLength = addressType === 1 ? 4 : addressType === 4 ? 16 : addressType === 3 ? (await io.readExactly(1))[0]! : -1;
    if (addressLength < 0) fail(`malformed reply (address type ${addressType})`);
    await io.readExactly(addressLength + 2);
    if (reply !== 0) {
      const [code, why] = REPLIES[reply!] ?? ['badServerResponse', `reply code ${reply}`];
      fail(`the proxy could not connect to the target: ${why}`, code);
    }
  };
}

function connectRequest(host: string, port: number): Buffer {
  const portBytes = Buffer.from([port >> 8, port & 0xff]);
  const family = net.isIP(host);
  if (family === 4) return Buffer.concat([Buffer.from([5, 1, 0, 1]), Buffer.from(host.split('.').map(Number)), portBytes]);
  if (family === 6) {
    const address = ipv6Bytes(host);
    // An IPv4-mapped address (::ffff:a.b.c.d) names an IPv4 host: send it as one (ATYP 1), which
    // a proxy without IPv6 can still reach.
    const mapped = address.subarray(0, 12).equals(IPV4_MAPPED_PREFIX);
    return mapped
      ? Buffer.concat([Buffer.from([5, 1, 0, 1]), address.subarray(12), portBytes])
      : Buffer.concat([Buffer.from([5, 1, 0, 4]), address, portBytes]);
  }
  const name = Buffer.from(host, 'utf8');
  if (name.length > 255) throw new TypeError(`Expected \`host\` to be at most 255 bytes for a SOCKS5 proxy, got ${name.length}`);
  return Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, portBytes]);
}

const IPV4_MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** The 16 bytes of an IPv6 literal (net.isIP said it is one), a dotted IPv4 tail included. */
function ipv6Bytes(literal: string): Buffer {
  let address = literal.replace(/%.*$/, ''); // a zone names our interface, not the proxy's
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(2).map(Number) as [number, number, number, number];
    address = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = groups(tail);
  const all = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return Buffer.from(all.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  }));
}
