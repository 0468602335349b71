#!/usr/bin/env node
/**
 * streamtask: nc and s_client on the public API of this library. Connects (TCP, TLS, STARTTLS,
 * through a proxy, by SRV, or by an HTTP Upgrade), then pipes stdin to the connection and the
 * connection to stdout, with half-close on stdin's end. See `streamtask --help`.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
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

function tlsOptions(options: CliOptions, reporter: Reporter): TLSOptions {
  const tls: TLSOptions = {};
  if (options.servername !== undefined) tls.servername = options.servername;
  if (options.ca !== undefined) {
    try {
      tls.ca = readFileSync(options.ca, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --ca ${options.ca}: ${(error as Error).message}`);
    }
  }
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
      ...(options.upgrade.startsWith('https:') ? { tls } : {}),
    });
    reporter.connected(await task.opened, task.metrics);
    reporter.say(`upgraded: ${response.status} ${response.statusText}, protocol ${response.headers.upgrade ?? '?'}`);
    return task;
  }
  const secure = options.tls ? { tls } : {};
  const task = options.service !== undefined ? session.streamTask({ service: options.service, ...secure })
    : options.unixSocket !== undefined ? session.streamTask({ path: options.unixSocket, ...secure })
    : session.streamTask({ host: options.host!, port: options.port!, ...secure });
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

/** Pipes stdin to the task and the task to stdout until the server ends its side. */
async function pipe(task: StreamTask): Promise<void> {
  const stdin = process.stdin;
  let inputDone = false;
  const input = (async () => {
    for await (const chunk of stdin) await task.write(chunk as Buffer);
    inputDone = true;
    await task.closeWrite();
  })();
  input.catch(() => {}); // its failure is the task's, reported by the output side
  for await (const chunk of task) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
  // The server closed its side: stop reading stdin (nc does the same) and close ours.
  if (!inputDone) {
    stdin.destroy();
    await task.closeWrite().catch(() => {});
  }
  await task.closed;
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
    await pipe(task);
    reporter.finished(task.metrics);
    return EXIT.ok;
  } catch (error) {
    if (task !== undefined) reporter.finished(task.metrics);
    process.stderr.write(`streamtask: ${(error as Error).message}\n`);
    if (error instanceof UsageError) return EXIT.usage;
    if (error instanceof StartTlsRefused) return EXIT.startTlsRefused;
    if (isTaskError(error)) return exitCodeOf(error.code);
    return EXIT.other;
  } finally {
    process.off('SIGINT', interrupt);
    process.stdin.destroy();
    await session?.[Symbol.asyncDispose]();
  }
}

process.exitCode = await main(process.argv.slice(2));
