/**
 * `.local` services over real multicast DNS: a responder made with the multicast-dns library
 * joins 224.0.0.251:5353 on this machine's interfaces (as Avahi or Bonjour would) and answers the
 * task's queries; the task connects to a real TCP peer on loopback.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import makeMulticastDns from 'multicast-dns';
import { Session } from '../lib/index.js';
import { makeCertificates, type TestCertificates } from './helpers/certificates.js';
import { expectCode } from './helpers/fixture.js';
import { settle, startPeer, type Peer } from './helpers/peer.js';
import { startTlsEchoPeer, type TlsPeer } from './helpers/tls-peers.js';

type Responder = ReturnType<typeof makeMulticastDns>;

let responder: Responder;
let peer: Peer;
let certs: TestCertificates;
let securePeer: TlsPeer;
let session: Session;
/** Questions the responder saw, as "TYPE name". */
const asked: string[] = [];

const HOST = 'streamtask-test-peer.local';
const BROWSED = '_streamtest._tcp.local';
const BROWSED_INSTANCE = `Test Peer.${BROWSED}`;
/** An instance whose SRV comes alone: its target's address must be asked for. */
const NAMED = 'Office Printer._ipp._tcp.local';
/** A TLS service, whose certificate names the host that answers (HOST). */
const SECURE = '_securetest._tcp.local';

beforeAll(async () => {
  peer = await startPeer((connection) => connection.socket.write('* OK found over mDNS\r\n'));
  certs = makeCertificates();
  securePeer = await startTlsEchoPeer({ key: certs.local.key, cert: certs.local.cert });
  responder = makeMulticastDns();
  const srv = (name: string, port = peer.port) => ({ name, type: 'SRV' as const, ttl: 120, data: { priority: 0, weight: 0, port, target: HOST } });
  const address = { name: HOST, type: 'A' as const, ttl: 120, data: '127.0.0.1' };
  responder.on('query', (query) => {
    for (const question of query.questions) {
      asked.push(`${question.type} ${question.name}`);
      const name = question.name.toLowerCase();
      if (question.type === 'PTR' && name === BROWSED.toLowerCase()) {
        responder.respond({ answers: [{ name: BROWSED, type: 'PTR', ttl: 120, data: BROWSED_INSTANCE }], additionals: [srv(BROWSED_INSTANCE), address] });
      } else if (question.type === 'PTR' && name === SECURE) {
        const instance = `Secure Peer.${SECURE}`;
        responder.respond({ answers: [{ name: SECURE, type: 'PTR', ttl: 120, data: instance }], additionals: [srv(instance, securePeer.port), address] });
      } else if (question.type === 'SRV' && name === NAMED.toLowerCase()) {
        responder.respond({ answers: [srv(NAMED)] });
      } else if (question.type === 'A' && name === HOST) {
        responder.respond({ answers: [address] });
      }
    }
  });
  await new Promise<void>((resolve) => responder.once('ready', () => resolve()));
});
afterAll(async () => {
  await new Promise<void>((resolve) => responder.destroy(() => resolve()));
  await peer.close();
  await securePeer.close();
  certs.remove();
});
beforeEach(() => {
  asked.length = 0;
  session = new Session({ timeoutIntervalForRequest: 3000 });
});
afterEach(async () => {
  await session[Symbol.asyncDispose]();
});

describe('.local services over multicast DNS', () => {
  test('browsing a type: PTR, with SRV and address in the same answer, then connect', async () => {
    const task = session.streamTask({ service: { type: '_streamtest._tcp', domain: 'local' } });
    task.resume();
    const info = await task.opened;
    expect(await task.readLine()).toBe('* OK found over mDNS');
    expect(info.remotePort).toBe(peer.port);
    expect(task.host).toBe(HOST);
    expect(asked).toContain(`PTR ${BROWSED}`);
    expect(asked.some((question) => question.startsWith('A '))).toBe(false);
  });

  test('a named instance (spaces allowed): SRV alone, so the target address is asked for', async () => {
    const task = session.streamTask({ service: { type: '_ipp._tcp', domain: 'local', name: 'Office Printer' } });
    task.resume();
    await task.opened;
    expect(await task.readLine()).toBe('* OK found over mDNS');
    expect(asked).toEqual(expect.arrayContaining([`SRV ${NAMED}`, `A ${HOST}`]));
  });

  test('TLS to a .local service verifies the host that answered (there is no delegation on the link)', async () => {
    const task = session.streamTask({ service: { type: '_securetest._tcp', domain: 'local' }, tls: { ca: certs.ca } });
    task.resume();
    const info = await task.opened;
    expect(info.tls?.authorized).toBe(true);
    expect(info.tls?.servername).toBe(HOST);
    await task.write('hello');
    expect(new TextDecoder().decode((await task.readData({ minLength: 5 })).data)).toBe('HELLO');
  });

  test('nothing answers: cannotFindHost within the connect time limit', async () => {
    const quick = new Session({ timeoutIntervalForRequest: 400 });
    try {
      const started = Date.now();
      const task = quick.streamTask({ service: { type: '_nobody._tcp', domain: 'local.' } });
      task.resume();
      const error = expectCode((await settle(task.opened)).error, 'cannotFindHost', -1003);
      expect(error.message).toMatch(/no answer over multicast DNS for _nobody\._tcp\.local within 400 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await quick[Symbol.asyncDispose]();
    }
  });

  test('cancel while resolving: cancelled at once, the multicast socket closed with the task', async () => {
    const task = session.streamTask({ service: { type: '_nobody._tcp', domain: 'local' } });
    task.resume();
    task.cancel();
    expectCode((await settle(task.opened)).error, 'cancelled');
    await settle(task.closed);
    expect(task.state).toBe('completed');
  });

  test('a proxy is never used for a .local service', async () => {
    const proxied = new Session({ proxy: { http: 'http://127.0.0.1:9' }, timeoutIntervalForRequest: 3000 });
    try {
      const task = proxied.streamTask({ service: { type: '_streamtest._tcp', domain: 'local' } });
      task.resume();
      await task.opened;
      expect(task.metrics.isProxyConnection).toBe(false);
      expect(await task.readLine()).toBe('* OK found over mDNS');
    } finally {
      await proxied[Symbol.asyncDispose]();
    }
  });

  test('instance names for .local: any UTF-8 label, no dots or control characters', () => {
    expect(() => session.streamTask({ service: { type: '_ipp._tcp', domain: 'local', name: 'a.b' } })).toThrow(/1 to 63 bytes of UTF-8 without dots/);
    expect(() => session.streamTask({ service: { type: '_ipp._tcp', domain: 'local', name: 'x'.repeat(64) } })).toThrow(/1 to 63 bytes/);
    session.streamTask({ service: { type: '_ipp._tcp', domain: 'local', name: 'Drucker im Büro' } }).cancel();
  });
});
