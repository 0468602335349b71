import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import dns2 from 'dns2';
import { once } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { orderTargets } from '../lib/connect/service.js';
import { Session } from '../lib/index.js';
import { makeCertificates } from './helpers/certificates.js';
import { expectCode } from './helpers/fixture.js';
import { settle, startPeer, unusedPort, type Peer } from './helpers/peer.js';

const { Packet } = dns2;

/** SRV and A records the test DNS server answers with; anything else is NXDOMAIN. */
const srv = new Map<string, { priority: number; weight: number; port: number; target: string }[]>();
const addresses = new Map<string, string>();
const addresses6 = new Map<string, string>();
let dnsServer: ReturnType<typeof dns2.createServer>;
let dnsServers: string[];
let peer: Peer;
let deadPort: number;
let session: Session;

beforeAll(async () => {
  dnsServer = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = question!.name.toLowerCase();
      if (question!.type === Packet.TYPE.SRV && srv.has(name)) {
        for (const record of srv.get(name)!) response.answers.push({ name, type: Packet.TYPE.SRV, class: Packet.CLASS.IN, ttl: 60, ...record } as never);
      } else if (question!.type === Packet.TYPE.A && addresses.has(name)) {
        response.answers.push({ name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 60, address: addresses.get(name)! } as never);
      } else if (question!.type === Packet.TYPE.AAAA && addresses6.has(name)) {
        response.answers.push({ name, type: Packet.TYPE.AAAA, class: Packet.CLASS.IN, ttl: 60, address: addresses6.get(name)! } as never);
      } else if (!srv.has(name) && !addresses.has(name) && !addresses6.has(name)) {
        // dns2's types lag its API (RCODE, listen's type, addresses()).
        response.header.rcode = (Packet as unknown as { RCODE: { NXDOMAIN: number } }).RCODE.NXDOMAIN;
      }
      send(response);
    },
  });
  await dnsServer.listen({ udp: { port: 0, address: '127.0.0.1', type: 'udp4' } as never });
  dnsServers = [`127.0.0.1:${dnsServer.addresses().udp!.port}`];
  peer = await startPeer((connection) => connection.socket.write('* OK service ready\r\n'));
  deadPort = await unusedPort();
  addresses.set('down.example.test', '127.0.0.1');
  addresses.set('up.example.test', '127.0.0.1');
  addresses.set('app.example.test', '127.0.0.1');
  // Both families on loopback: nothing listens on ::1 at the peer's port (it is bound to 127.0.0.1).
  addresses.set('dual.example.test', '127.0.0.1');
  addresses6.set('dual.example.test', '::1');
  srv.set('_imap._tcp.example.test', [
    { priority: 20, weight: 0, port: peer.port, target: 'up.example.test' },
    { priority: 10, weight: 5, port: deadPort, target: 'down.example.test' },
  ]);
  srv.set('_imap._tcp.nothing.test', [{ priority: 0, weight: 0, port: 0, target: '.' }]);
  srv.set('office-printer._ipp._tcp.example.test', [{ priority: 0, weight: 0, port: peer.port, target: 'up.example.test' }]);
});
afterAll(async () => {
  await dnsServer.close();
  await peer.close();
});
beforeEach(() => {
  session = new Session({ dnsServers, timeoutIntervalForRequest: 3000 });
});
afterEach(async () => {
  await session[Symbol.asyncDispose]();
});

describe('services by DNS SRV', () => {
  test('tries the targets in priority order: the first refuses, the next one answers', async () => {
    const task = session.streamTask({ service: { type: '_imap._tcp', domain: 'example.test' } });
    expect(task.host).toBe('example.test');
    task.resume();
    await task.opened;
    expect(task.host).toBe('up.example.test');
    expect(task.port).toBe(peer.port);
    expect(await task.readLine()).toBe('* OK service ready');
    expect(task.service).toEqual({ type: '_imap._tcp', domain: 'example.test' });
  });

  test('a named instance (DNS-SD) is prefixed to the query', async () => {
    const task = session.streamTask({ service: { type: '_ipp._tcp', domain: 'example.test', name: 'office-printer' } });
    task.resume();
    await task.opened;
    expect(task.port).toBe(peer.port);
  });

  test('"." means no service: cannotFindHost', async () => {
    const task = session.streamTask({ service: { type: '_imap._tcp', domain: 'nothing.test' } });
    task.resume();
    const error = expectCode((await settle(task.opened)).error, 'cannotFindHost', -1003);
    expect(error.message).toMatch(/^connect to _imap\._tcp\.nothing\.test: _imap\._tcp\.nothing\.test says the service is not available here/);
  });

  test('no records: cannotFindHost naming the query', async () => {
    const task = session.streamTask({ service: { type: '_xmpp-client._tcp', domain: 'example.test' } });
    task.resume();
    expect(expectCode((await settle(task.opened)).error, 'cannotFindHost').message).toMatch(/no SRV records for _xmpp-client\._tcp\.example\.test/);
  });

  test('every target refuses: the last failure', async () => {
    srv.set('_pop3._tcp.example.test', [{ priority: 1, weight: 0, port: deadPort, target: 'down.example.test' }]);
    const task = session.streamTask({ service: { type: '_pop3._tcp', domain: 'example.test' } });
    task.resume();
    expectCode((await settle(task.opened)).error, 'cannotConnectToHost');
  });

  test('dnsServers also resolve plain host names', async () => {
    const task = await session.connect('app.example.test', peer.port);
    expect(await task.readLine()).toBe('* OK service ready');
    expectCode((await settle(session.connect('unknown.example.test', peer.port))).error, 'cannotFindHost');
  });

  test('bad service descriptors are argument errors', () => {
    expect(() => session.streamTask({ service: { type: 'imap', domain: 'example.test' } })).toThrow(/`options\.service\.type` to be a TCP service type/);
    expect(() => session.streamTask({ service: { type: '_imap._tcp', domain: '' } })).toThrow(/`options\.service\.domain`/);
    expect(() => new Session({ dnsServers: [] })).toThrow(/`configuration\.dnsServers`/);
    expect(() => session.streamTask({ service: { type: '_ipp._tcp', domain: 'example.test', name: 'office printer' } })).toThrow(/Node's resolver cannot query other names/);
  });
});

describe('RFC 2782 order', () => {
  test('priority first; within a priority, weight decides and zero weights can still be picked', () => {
    const records = [
      { priority: 2, weight: 0, name: 'c' },
      { priority: 1, weight: 10, name: 'a' },
      { priority: 1, weight: 0, name: 'b' },
    ];
    // random() = 0 picks the first by running sum: the zero-weight record.
    expect(orderTargets(records, () => 0).map((r) => r.name)).toEqual(['b', 'a', 'c']);
    // random() near 1 picks the heavy one first.
    expect(orderTargets(records, () => 0.99).map((r) => r.name)).toEqual(['a', 'b', 'c']);
    // Over many draws the heavier record comes first in proportion to weight: a draw from 0 to the
    // sum inclusive (RFC 2782), so 30 of 41 values pick weight 30 over weight 10.
    let heavyFirst = 0;
    for (let i = 0; i < 4000; i++) {
      if (orderTargets([{ priority: 0, weight: 10, name: 'x' }, { priority: 0, weight: 30, name: 'y' }])[0]!.name === 'y') heavyFirst++;
    }
    expect(heavyFirst / 4000).toBeGreaterThan(0.68);
    expect(heavyFirst / 4000).toBeLessThan(0.78);
  });
});

describe('Happy Eyeballs (autoSelectFamily)', () => {
  test('a name with ::1 (refused) and a live 127.0.0.1 connects over IPv4 by default, as Node does', async () => {
    const task = await session.connect('dual.example.test', peer.port);
    expect((await task.opened).remoteAddress).toBe('127.0.0.1');
    expect(new TextDecoder().decode((await task.readData({ minLength: 20 })).data)).toBe('* OK service ready\r\n');
  });

  test('IPv6 is tried first when every family is tried; with autoSelectFamily: false the one attempt is IPv4', async () => {
    // The other way round: a live ::1 and a refused 127.0.0.1 at the same port.
    const six = net.createServer((socket) => socket.end('six\n'));
    await new Promise<void>((resolve) => six.listen({ host: '::1', port: 0, ipv6Only: true }, resolve));
    const port = (six.address() as net.AddressInfo).port;
    try {
      const task = await session.connect('dual.example.test', port);
      expect((await task.opened).remoteAddress).toBe('::1');
      expect(await task.readLine()).toBe('six');
      task.cancel();
      await task.closed.catch(() => {});
      const { error } = await settle(session.connect('dual.example.test', port, { autoSelectFamily: false }));
      expectCode(error, 'cannotConnectToHost');
      expect((error as Error & { cause?: unknown }).cause).toMatchObject({ code: 'ECONNREFUSED', address: '127.0.0.1' });
    } finally {
      await new Promise((resolve) => six.close(resolve));
    }
  });

  test('TLS from the first byte (its own socket) falls back from a refused ::1 to a live 127.0.0.1 too, and verifies', async () => {
    const certs = makeCertificates();
    const secure = tls.createServer({ key: certs.leaf.key, cert: certs.leaf.cert }, (socket) => socket.end('* OK secure\r\n'));
    secure.listen(0, '127.0.0.1');
    await once(secure, 'listening');
    try {
      const port = (secure.address() as net.AddressInfo).port;
      // The certificate names localhost: the name verified is given, the name resolved is dual.example.test.
      const task = await session.connect('dual.example.test', port, { tls: { ca: certs.ca, servername: 'localhost' }, autoSelectFamily: true });
      const info = await task.opened;
      expect(info.remoteAddress).toBe('127.0.0.1');
      expect(info.tls?.authorized).toBe(true);
      expect(await task.readLine()).toBe('* OK secure');
      task.cancel();
      await task.closed.catch(() => {});
    } finally {
      await new Promise((resolve) => secure.close(resolve));
      certs.remove();
    }
  });

  test('the attempt timeout is passed on, and both knobs are checked', async () => {
    const task = await session.connect('dual.example.test', peer.port, { autoSelectFamily: true, autoSelectFamilyAttemptTimeout: 10 });
    expect((await task.opened).remoteAddress).toBe('127.0.0.1');
    expect(() => new Session({ autoSelectFamily: 'yes' as unknown as boolean })).toThrow(/`configuration\.autoSelectFamily` to be a boolean/);
    expect(() => new Session({ autoSelectFamilyAttemptTimeout: 5 })).toThrow(/`configuration\.autoSelectFamilyAttemptTimeout`.*10/);
  });
});
