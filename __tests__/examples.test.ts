import { describe, expect, test } from '@jest/globals';
import { runDemo } from '../examples/line-protocol-demo.js';

describe('examples run as written', () => {
  test('the line-protocol demo talks to its own server and ends cleanly', async () => {
    const lines: string[] = [];
    await runDemo((line) => lines.push(line));
    expect(lines).toEqual(
      expect.arrayContaining([
        'server > +READY tiny-kv',
        'server > $hello from streamtask',
        'server > -NOTFOUND',
        'server > -ERR unknown command PING',
        'server > +BYE 1 keys stored',
      ]),
    );
    expect(lines.at(-1)).toMatch(/^client {3}done: state completed, \d+ bytes sent, \d+ received$/);
  });
});

describe('more examples', () => {
  test('the relay pipes 64 MiB between two tasks and the consumer confirms every byte', async () => {
    const { runRelay } = await import('../examples/relay.js');
    const answer = await runRelay(() => {});
    expect(answer).toMatch(/^67108864 bytes, sha256 [0-9a-f]{16}…$/);
  });

  test('the line reader breaks at ERROR and still gets the lines after it', async () => {
    const { runLineReader } = await import('../examples/line-reader.js');
    const lines: string[] = [];
    const counts = await runLineReader((line) => lines.push(line));
    expect(counts).toEqual({ INFO: 3, DEBUG: 1, WARN: 1, ERROR: 1 });
    expect(lines).toContain('after break: INFO event 6');
    expect(lines).toContain('after break: STATS 7 lines sent');
  });
});

describe('tracing', () => {
  test('the tracing example makes one span per task from the diagnostics channels', async () => {
    const { runTracingExample } = await import('../examples/tracing-spans.js');
    const spans = await runTracingExample(() => {});
    expect(spans).toHaveLength(2);
    expect(spans[0]!.status).toEqual({ code: 'OK' });
    expect(spans[0]!.attributes).toMatchObject({ 'network.peer.address': '127.0.0.1', 'streamtask.bytes_sent': 4, 'streamtask.bytes_received': 4 });
    expect(spans[0]!.events.map((event) => event.name)).toEqual(['open']);
    expect(spans[1]!.status.code).toBe('ERROR');
    expect(spans[1]!.status.message).toMatch(/^cannotConnectToHost: /);
    expect(spans[1]!.endTime).toBeGreaterThanOrEqual(spans[1]!.startTime - 1);
  });
});

describe('STARTTLS against a real SMTP server', () => {
  test('the SMTP example greets in plaintext, upgrades, and delivers the message over TLS', async () => {
    const { runSmtpExample } = await import('../examples/smtp-starttls.js');
    const lines: string[] = [];
    const received = await runSmtpExample((line) => lines.push(line));
    expect(received).toHaveLength(1);
    expect(received[0]).toContain('Sent over STARTTLS with streamtask.');
    expect(lines).toContain('C: STARTTLS');
    expect(lines.find((line) => line.startsWith('-- TLS: TLSv1.3'))).toBeDefined();
    expect(lines.indexOf('C: MAIL FROM:<alice@example.com>')).toBeGreaterThan(lines.findIndex((line) => line.startsWith('-- TLS')));
  });
});

describe('ways in', () => {
  test('the upgrade example switches to its custom protocol and keeps the greeting sent with the 101', async () => {
    const { runUpgradeExample } = await import('../examples/upgrade-custom-protocol.js');
    expect(await runUpgradeExample(() => {})).toEqual(['HELLO counter ready', 'TOTAL 5', 'TOTAL 15', 'TOTAL 42', 'BYE']);
  });

  test('the proxy example tunnels through an authenticated CONNECT proxy', async () => {
    const { runProxyExample } = await import('../examples/through-a-proxy.js');
    expect(await runProxyExample(() => {})).toBe('you said: hello through the tunnel');
  });

  test('the .local example finds its own printer over multicast DNS and prints', async () => {
    const { runLocalServiceExample } = await import('../examples/local-service.js');
    const lines: string[] = [];
    expect(await runLocalServiceExample((line) => lines.push(line))).toBe('PRINTED hello from streamtask');
    expect(lines[0]).toMatch(/^found demo-printer\.local port \d+, connected to 127\.0\.0\.1$/);
  });
});
