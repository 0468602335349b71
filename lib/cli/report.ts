/** What --verbose and --progress print on stderr: one line per fact, a live counter, a summary. */
import type { ConnectionInfo, SecureConnectionInfo, TaskMetrics } from '../index.js';

export class Reporter {
  readonly #verbose: boolean;
  readonly #progress: boolean;
  readonly #out: NodeJS.WriteStream;
  readonly #started = performance.now();
  #counter: NodeJS.Timeout | undefined;
  #counterShown = false;

  constructor(options: { verbose: boolean; progress: boolean }, out: NodeJS.WriteStream = process.stderr) {
    this.#verbose = options.verbose;
    this.#progress = options.progress;
    this.#out = out;
  }

  /** A fact, shown with --verbose. */
  say(line: string): void {
    if (!this.#verbose) return;
    this.#clearCounter();
    this.#out.write(`* ${line}\n`);
  }

  /** Always shown: warnings. */
  warn(line: string): void {
    this.#clearCounter();
    this.#out.write(`streamtask: warning: ${line}\n`);
  }

  connected(info: ConnectionInfo, metrics: TaskMetrics): void {
    const lookup = span(metrics.domainLookupStartDate, metrics.domainLookupEndDate);
    const connect = span(metrics.connectStartDate, metrics.connectEndDate);
    this.say(`connected to ${info.remoteAddress} port ${info.remotePort} from ${info.localAddress} port ${info.localPort}` +
      `${metrics.isProxyConnection ? ' (through the proxy)' : ''}` +
      `${lookup === null ? '' : `, lookup ${lookup} ms`}${connect === null ? '' : `, connect ${connect} ms`}`);
    if (info.tls !== undefined) this.secured(info.tls, metrics);
  }

  secured(info: SecureConnectionInfo, metrics: TaskMetrics): void {
    const handshake = span(metrics.secureConnectionStartDate, metrics.secureConnectionEndDate);
    this.say(`TLS ${info.protocol} ${info.cipher}${info.alpnProtocol === null ? '' : `, ALPN ${info.alpnProtocol}`}` +
      `${handshake === null ? '' : `, handshake ${handshake} ms`}${info.authorized ? ', verified' : ', NOT verified'}` +
      `${info.servername === '' ? '' : ` as ${info.servername}`}`);
    const certificate = info.peerCertificate;
    if (certificate !== null) {
      this.say(`certificate ${certificate.subject}, issued by ${certificate.issuer}`);
      const days = Math.floor((certificate.validTo.getTime() - Date.now()) / 86_400_000);
      this.say(`certificate valid until ${certificate.validTo.toISOString()} (${days} days)`);
    }
  }

  /** Starts the live counter (on stderr, rewritten in place, at most 4 times a second). */
  startCounter(metrics: () => TaskMetrics): void {
    if (!this.#progress) return;
    this.#counter = setInterval(() => {
      // Only for transfers that last: the first line comes after one second.
      if (performance.now() - this.#started < 1000) return;
      const { countOfBytesSent, countOfBytesReceived } = metrics();
      const seconds = (performance.now() - this.#started) / 1000;
      this.#out.write(`\r↑ ${bytes(countOfBytesSent)} ↓ ${bytes(countOfBytesReceived)} ` +
        `${bytes((countOfBytesSent + countOfBytesReceived) / seconds)}/s   `);
      this.#counterShown = true;
    }, 250);
    this.#counter.unref();
  }

  finished(metrics: TaskMetrics): void {
    clearInterval(this.#counter);
    this.#clearCounter();
    const seconds = (performance.now() - this.#started) / 1000;
    this.say(`sent ${bytes(metrics.countOfBytesSent)}, received ${bytes(metrics.countOfBytesReceived)} ` +
      `in ${seconds.toFixed(2)} s`);
  }

  #clearCounter(): void {
    if (!this.#counterShown) return;
    this.#out.write('\n');
    this.#counterShown = false;
  }
}

function span(from: Date | null, to: Date | null): number | null {
  return from === null || to === null ? null : to.getTime() - from.getTime();
}

/** 1536 → "1.5 KiB". */
export function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
