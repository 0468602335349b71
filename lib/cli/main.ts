#!/usr/bin/env node
/**
 * streamtask: nc and s_client on the public API of this library. Connects (TCP, TLS, STARTTLS,
 * through a proxy, by SRV, or by an HTTP Upgrade), then pipes stdin to the connection and the
 * connection to stdout, with half-close on stdin's end. See `streamtask --help`.
 */
import * as dns from 'node:dns/promises';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { Session, type ProxyConfiguration, type StreamTask, type TLSOptions } from '../index.js';
import { HELP, parseCommandLine, UsageError, type CliOptions } from './arguments.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { Reporter } from './report.js';
import { startTlsPreamble, StartTlsRefused } from './starttls.js';

/** A StreamTaskError, known by its shape (it may come from another copy of the library). */
function isTaskError(error: unknown): error is Error & { code: Parameters<typeof exitCodeOf>[0] } {
  return error instanceof Error && error.name === 'StreamTaskError' && typeof (error as { code?: unknown }).code === 'string';
}

function proxyOf(url: string): ProxyConfiguration {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  if (scheme === 'http' || scheme === 'https') return { http: url };
  if (scheme.startsWith('socks')) return { socks: url };
  throw new UsageError(`--proxy must be an http:// or socks5:// URL, got ${JSON.stringify(url)}`);
}

/** HOST had no address of the family -4 or -6 asked for (exit 3, as a name not found). */
class NoAddress extends Error {}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(error as Error).message}`);
  }
}

function tlsOptions(options: CliOptions, reporter: Reporter): TLSOptions {
  const tls: TLSOptions = {};
  if (options.servername !== undefined) tls.servername = options.servername;
  if (options.ca !== undefined) tls.ca = readPem('--ca', options.ca);
  if (options.cert !== undefined) tls.cert = readPem('--cert', options.cert);
  if (options.key !== undefined) tls.key = readPem('--key', options.key);
  if (options.alpn !== undefined) tls.ALPNProtocols = options.alpn;
  if (options.insecure) {
    tls.rejectUnauthorized = false;
    reporter.warn("--insecure: the server's certificate is NOT verified; anyone on the path can read and change this connection");
  }
  return tls;
}

async function open(session: Session, options: CliOptions, tls: TLSOptions, reporter: Reporter): Promise<StreamTask> {
  if (options.upgrade !== undefined) {
    const { task, response } = await session.upgrade(options.upgrade, {
      ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
      ...(/^(https|wss):/i.test(options.upgrade) ? { tls } : {}),
    });
    reporter.connected(await task.opened, task.metrics);
    reporter.say(`upgraded: ${response.status} ${response.statusText}, protocol ${response.headers.upgrade ?? '?'}`);
    return task;
  }
  let host = options.host;
  if (host !== undefined && options.family !== undefined && net.isIP(host) === 0) {
    // -4/-6: resolve here to an address of that family; TLS still verifies (and sends as SNI) HOST.
    const name = host;
    const address = await dns.lookup(name, { family: options.family }).catch((error: Error) => {
      throw new NoAddress(`${name} has no IPv${options.family} address (${(error as NodeJS.ErrnoException).code ?? error.message})`);
    });
    reporter.say(`${name} is ${address.address} (IPv${options.family} only)`);
    host = address.address;
    tls.servername ??= name;
  }
  const secure = options.tls ? { tls } : {};
  const task = options.service !== undefined ? session.streamTask({ service: options.service, ...secure })
    : options.unixSocket !== undefined ? session.streamTask({ path: options.unixSocket, ...secure })
    : session.streamTask({ host: host!, port: options.port!, ...secure });
  task.resume();
  reporter.connected(await task.opened, task.metrics);
  if (options.starttls !== undefined) {
    // A unicast service is named by its domain; a .local one by the host that answered.
    const domain = options.service?.domain;
    const name = domain === undefined || /(^|\.)local$/i.test(domain) ? task.host : domain;
    await startTlsPreamble(task, options.starttls, options.servername ?? options.host ?? name, options.timeout);
    reporter.say(`${options.starttls}: the server agreed to STARTTLS`);
    reporter.secured(await task.startSecureConnection(tls), task.metrics);
  }
  return task;
}

/**
 * Pipes stdin to the task and the task to stdout until the server ends its side. A reset once
 * stdin has ended, every byte of it was sent and the server has answered it (sent bytes since) is
 * how many servers end a session (postfix after its 221, when our FIN follows QUIT): the session
 * ended well, and `-v` says how. A reset while we still had input to send, or before the server
 * answered the last of it, is a lost connection.
 */
async function pipe(task: StreamTask, reporter: Reporter, noShutdown: boolean): Promise<void> {
  const stdin = process.stdin;
  let inputSent = false;
  let receivedWhenSent = 0;
  const input = (async () => {
    for await (const chunk of stdin) await task.write(chunk as Buffer);
    inputSent = true;
    receivedWhenSent = task.countOfBytesReceived;
    // Some servers answer nothing once our side closed (Dovecot over TLS drops the commands
    // still to run): with --no-shutdown it stays open and the server's close ends the session.
    if (!noShutdown) await task.closeWrite();
  })();
  input.catch(() => {}); // its failure is the task's, reported by the output side
  try {
    for await (const chunk of task) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    }
    // The server closed its side: stop reading stdin (nc does the same) and close ours.
    if (!inputSent) stdin.destroy();
    if (!inputSent || noShutdown) await task.closeWrite().catch(() => {});
    await task.closed;
  } catch (error) {
    if (inputSent && task.countOfBytesReceived > receivedWhenSent && isTaskError(error) && error.code === 'networkConnectionLost') {
      reporter.say(`the server reset the connection after all our input was sent and it had answered it (${error.message}): the session ended`);
      return;
    }
    throw error;
  }
}

export async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`streamtask: ${(error as Error).message}\nTry 'streamtask --help'.\n`);
    return EXIT.usage;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const reporter = new Reporter(options);
  let session: Session | undefined;
  let task: StreamTask | undefined;
  const interrupt = (): void => {
    if (task !== undefined) task.cancel(new Error('interrupted'));
    else void session?.invalidateAndCancel();
  };
  process.once('SIGINT', interrupt);
  try {
    const tls = tlsOptions(options, reporter);
    session = new Session({
      timeoutIntervalForRequest: options.timeout,
      waitsForConnectivity: options.wait,
      ...(options.proxy === undefined ? {} : { proxy: proxyOf(options.proxy) }),
    });
    task = await open(session, options, tls, reporter);
    const running = task;
    process.stdout.on('error', () => running.cancel(new Error('stdout closed')));
    reporter.startCounter(() => running.metrics);
    await pipe(task, reporter, options.noShutdown);
    reporter.finished(task.metrics);
    return EXIT.ok;
  } catch (error) {
    if (task !== undefined) reporter.finished(task.metrics);
    process.stderr.write(`streamtask: ${(error as Error).message}\n`);
    if (error instanceof UsageError) return EXIT.usage;
    if (error instanceof StartTlsRefused) return EXIT.startTlsRefused;
    if (error instanceof NoAddress) return EXIT.cannotFindHost;
    if (isTaskError(error)) return exitCodeOf(error.code);
    return EXIT.other;
  } finally {
    process.off('SIGINT', interrupt);
    process.stdin.destroy();
    await session?.[Symbol.asyncDispose]();
  }
}

process.exitCode = await main(process.argv.slice(2));
