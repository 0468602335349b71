// @ts-check
/**
 * The acceptance checks, as a user's program would run them: plain JavaScript importing the
 * installed package by name, so that Node, Bun and Deno run this same file against the packed
 * tarball. The peers (acceptance/peers.ts) run in the Node process that started this one and
 * are named in ACCEPTANCE_PEERS. Prints one JSON line per feature:
 *   { "feature": "...", "result": "yes" | "no" | "unsupported", "detail": "..." }
 * "unsupported" is the library refusing with an error that names the runtime; "no" is anything
 * else that went wrong (a wrong byte, a wrong error, a hang past the check's time limit).
 */
import { Session, StreamTaskError } from 'streamtask';
import { connect as connectSocket } from 'streamtask/sockets';
import { AbortController as PolyfillAbortController } from 'abort-controller';

/** @type {import('./peers.js').PeerPorts} */
const peers = JSON.parse(process.env.ACCEPTANCE_PEERS ?? '{}');
const host = '127.0.0.1';
const CHECK_MS = 10_000;
const text = (/** @type {Uint8Array} */ bytes) => new TextDecoder().decode(bytes);

/** @param {boolean} condition @param {string} what */
function expect(condition, what) {
  if (!condition) throw new Error(what);
}

/** @param {unknown} error @param {string} code */
function expectCode(error, code) {
  expect(error instanceof StreamTaskError && error.code === code, `expected ${code}, got ${String(error)}`);
}

/** @param {Promise<unknown>} promise */
async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** @type {Array<[string, (session: Session) => Promise<void>]>} */
const checks = [
  ['connect, write, readData', async (session) => {
    const task = await session.connect(host, peers.echo);
    await task.write('hello');
    const { data } = await task.readData({ minLength: 5 });
    expect(text(data) === 'hello', `echo: ${text(data)}`);
    task.cancel();
  }],
  ['readData with timeout', async (session) => {
    const task = await session.connect(host, peers.silent);
    expectCode(await failure(task.readData({ timeout: 50 })), 'timedOut');
    expect(task.state === 'running', 'a read timing out leaves the task running');
    task.cancel();
  }],
  ['readData with abort (native and polyfill signals)', async (session) => {
    const task = await session.connect(host, peers.silent);
    for (const Controller of [AbortController, PolyfillAbortController]) {
      const controller = new Controller();
      const read = task.readData({ signal: /** @type {AbortSignal} */ (controller.signal) });
      setTimeout(() => controller.abort(), 10);
      expectCode(await failure(read), 'cancelled');
    }
    task.cancel();
  }],
  ['for await', async (session) => {
    const task = await session.connect(host, peers.lines);
    let all = '';
    for await (const chunk of task) all += text(chunk);
    expect(all === 'one\r\ntwo\nthree\n', `got ${JSON.stringify(all)}`);
  }],
  ['lines() and readLine()', async (session) => {
    const task = await session.connect(host, peers.lines);
    expect((await task.readLine()) === 'one', 'first line');
    const rest = [];
    for await (const line of task.lines()) rest.push(line);
    expect(rest.join(',') === 'two,three', `got ${rest.join(',')}`);
  }],
  ['captureStreams (default reader)', async (session) => {
    const task = await session.connect(host, peers.echo);
    const { readable, writable } = await task.captureStreams();
    const writer = writable.getWriter();
    await writer.write(new TextEncoder().encode('streams'));
    await writer.close();
    let all = '';
    for await (const chunk of readable) all += text(chunk);
    expect(all === 'streams', `got ${all}`);
  }],
  ['captureStreams (BYOB reader)', async (session) => {
    const task = await session.connect(host, peers.echo);
    const { readable, writable } = await task.captureStreams();
    const writer = writable.getWriter();
    const sent = new Uint8Array(200_000).map((_, i) => i % 251);
    const written = writer.write(sent).then(() => writer.close());
    const reader = readable.getReader({ mode: 'byob' });
    const got = new Uint8Array(sent.length);
    let filled = 0;
    while (filled < got.length) {
      const { value, done } = await reader.read(new Uint8Array(4096));
      if (done) break;
      got.set(value, filled);
      filled += value.length;
    }
    await written;
    expect(filled === sent.length && got.every((byte, i) => byte === sent[i]), `BYOB got ${filled} bytes`);
    reader.releaseLock();
    await readable.cancel();
  }],
  ['write coalescing', async (session) => {
    const task = await session.connect(host, peers.counter);
    const writes = [];
    for (let i = 0; i < 200; i++) writes.push(task.write('x'.repeat(99) + (i === 199 ? '\n' : '.')));
    await Promise.all(writes);
    const [chunks, bytes] = ((await task.readLine()) ?? '').split(' ').map(Number);
    expect(bytes === 20_000, `the peer read ${bytes} bytes`);
    // One write at once, one batch behind it: a handful of reads, never one per write.
    expect(chunks !== undefined && chunks <= 20, `200 writes of one tick reached the peer as ${chunks} reads`);
    task.cancel();
  }],
  ['closeWrite (half-close)', async (session) => {
    const task = await session.connect(host, peers.echo);
    await task.write('last words');
    await task.closeWrite();
    let all = '';
    for await (const chunk of task) all += text(chunk);
    expect(all === 'last words', `got ${all}`);
    await task.closed;
    expect(task.state === 'completed' && task.error === null, `state ${task.state}, error ${task.error?.code}`);
  }],
  ['TLS from the start (verified, SNI)', async (session) => {
    const task = await session.connect('localhost', peers.tlsEcho, { tls: { ca: peers.ca } });
    const info = await task.opened;
    expect(info.tls?.authorized === true, 'authorized');
    await task.write('secret');
    expect(text(await task.readExactly(6)) === 'secret', 'echo over TLS');
    const refused = session.streamTask('localhost', peers.tlsEcho, { tls: {} });
    refused.resume();
    expectCode(await failure(refused.opened), 'serverCertificateUntrusted');
    task.cancel();
  }],
  ['STARTTLS', async (session) => {
    const task = await session.connect('localhost', peers.startTls);
    expect((await task.readLine()) === 'READY', 'greeting');
    await task.write('STARTTLS\n');
    expect((await task.readLine()) === 'GO', 'go ahead');
    const info = await task.startSecureConnection({ ca: peers.ca });
    expect(info.authorized, 'authorized');
    await task.write('hello\n');
    expect((await task.readLine()) === 'SECURE hello', 'answer over TLS');
    task.cancel();
  }],
  ['STARTTLS with Debian\'s Dovecot, direct and through tinyproxy and Dante', async (session) => {
    const debian = peers.debian;
    if ('missing' in debian) throw new Error(debian.missing);
    for (const proxy of [undefined, { http: debian.tinyproxy }, { socks: `socks5h://${host}:${debian.dante}` }]) {
      const task = await session.connect('localhost', debian.imap, proxy === undefined ? {} : { proxy });
      const route = proxy === undefined ? 'direct' : Object.keys(proxy)[0];
      expect(/^\* OK .*STARTTLS/.test((await task.readLine()) ?? ''), `${route}: greeting`);
      await task.write('a1 STARTTLS\r\n');
      expect(((await task.readLine()) ?? '').startsWith('a1 OK'), `${route}: go ahead`);
      expect((await task.startSecureConnection({ ca: peers.ca })).authorized, `${route}: authorized`);
      await task.write('a2 LOGIN user pw\r\na3 LOGOUT\r\n');
      const answers = [];
      for (let line = await task.readLine(); line !== null; line = await task.readLine()) answers.push(line);
      expect(answers.some((line) => line.startsWith('a2 OK')) && answers.at(-1)?.startsWith('a3 OK') === true, `${route}: ${answers.join(' | ')}`);
    }
  }],
  ['stopSecureConnection (back to plaintext)', async (session) => {
    const task = await session.connect('localhost', peers.ccc);
    expect((await task.readLine()) === '220 READY', 'greeting');
    await task.write('AUTH TLS\r\n');
    expect((await task.readLine()) === '234 GO', 'go ahead');
    await task.startSecureConnection({ ca: peers.ca, allowStop: true });
    await task.write('CCC\r\n');
    expect((await task.readLine()) === '200 CCC', 'CCC accepted');
    await task.stopSecureConnection();
    expect((await task.readLine()) === 'PLAIN HELLO', 'plaintext behind close_notify');
    await task.write('PING\r\n');
    expect((await task.readLine()) === 'PONG', 'plaintext both ways');
    task.cancel();
  }],
  ['cancel rejects every pending operation', async (session) => {
    const task = await session.connect(host, peers.silent);
    // 16 MiB to a peer that never reads: more than the kernel takes, so the write and the close behind it wait.
    const pending = [task.readData(), task.readLine(), task.readExactly(10), task.write(new Uint8Array(16 << 20)), task.closeWrite()];
    task.cancel();
    const errors = await Promise.all(pending.map(failure));
    for (const error of errors) expectCode(error, 'cancelled');
    expectCode(await failure(task.closed), 'cancelled');
  }],
  ['HTTP Upgrade (WebSocket server)', async (session) => {
    const { response, task } = await session.upgrade(`ws://${host}:${peers.webSocket}/`);
    expect(response.status === 101, `status ${response.status}`);
    // A masked text frame "hi" (mask 0); the server echoes it unmasked.
    await task.write(new Uint8Array([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]));
    const frame = await task.readExactly(4);
    expect(frame[0] === 0x81 && frame[1] === 2 && text(frame.subarray(2)) === 'hi', `frame ${Array.from(frame)}`);
    task.cancel();
  }],
  ['HTTP CONNECT proxy', async (session) => {
    const task = await session.connect(host, peers.echo, { proxy: { http: `http://${host}:${peers.httpProxy}` } });
    await task.write('via connect');
    expect(text(await task.readExactly(11)) === 'via connect', 'echo through the proxy');
    expect(task.metrics.isProxyConnection, 'metrics say proxy');
    task.cancel();
  }],
  ['SOCKS5 proxy', async (session) => {
    const task = await session.connect(host, peers.echo, { proxy: { socks: `socks5://${host}:${peers.socksProxy}` } });
    await task.write('via socks');
    expect(text(await task.readExactly(9)) === 'via socks', 'echo through the proxy');
    task.cancel();
  }],
  ['WinterTC sockets (streamtask/sockets connect())', async () => {
    const socket = connectSocket(`${host}:${peers.echo}`);
    const info = await socket.opened;
    expect(info.remoteAddress === `${host}:${peers.echo}`, `opened: ${JSON.stringify(info)}`);
    const writer = socket.writable.getWriter();
    await writer.write(new TextEncoder().encode('winter'));
    const reader = socket.readable.getReader();
    let got = '';
    while (got.length < 6) {
      const { value, done } = await reader.read();
      if (done) break;
      got += text(value);
    }
    expect(got === 'winter', `echo: ${got}`);
    reader.releaseLock();
    writer.releaseLock();
    await socket.close();
    await socket.closed;
  }],
  ['events (statechange, readclosed, complete)', async (session) => {
    const task = session.streamTask(host, peers.lines);
    /** @type {string[]} */
    const seen = [];
    for (const name of ['statechange', 'readclosed', 'writeclosed', 'complete']) task.addEventListener(name, () => seen.push(name));
    task.resume();
    for await (const _ of task) void _;
    await task.closeWrite();
    await task.closed;
    const expected = ['readclosed', 'writeclosed', 'complete'];
    expect(expected.every((name) => seen.includes(name)) && seen.includes('statechange'), `events: ${seen.join(',')}`);
  }],
];

/**
 * @param {unknown} error
 * @returns {boolean} whether the library refused because of the runtime (an error naming it)
 */
function namesRuntime(error) {
  return error instanceof StreamTaskError && error.code === 'invalidState' && /\b(Bun|Deno)\b/.test(error.message);
}

const only = process.env.ACCEPTANCE_ONLY;
for (const [feature, check] of checks) {
  if (only !== undefined && !feature.includes(only)) continue;
  const session = new Session({ timeoutIntervalForRequest: 5000 });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_MS} ms`)), CHECK_MS);
  });
  let result = 'yes', detail = '';
  try {
    await Promise.race([check(session), limit]);
  } catch (error) {
    result = namesRuntime(error) ? 'unsupported' : 'no';
    detail = error instanceof Error ? `${error instanceof StreamTaskError ? `${error.code}: ` : ''}${error.message}` : String(error);
  } finally {
    clearTimeout(timer);
    session.invalidateAndCancel();
  }
  process.stdout.write(`${JSON.stringify({ feature, result, detail })}\n`);
}
process.exit(0);
