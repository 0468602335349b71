/** The command line of `streamtask`: what it accepts, checked, and the help text. */
import { parseArgs } from 'node:util';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { STARTTLS_PROTOCOLS, type StartTlsProtocol } from './starttls.js';

export interface CliOptions {
  host?: string;
  port?: number;
  tls: boolean;
  starttls?: StartTlsProtocol;
  servername?: string;
  ca?: string;
  /** A client certificate (PEM) and its key, as s_client's -cert and -key. */
  cert?: string;
  key?: string;
  /** ALPN protocols to offer, most preferred first (curl's --alpn, s_client's -alpn). */
  alpn?: string[];
  /** Only IPv4 or only IPv6 addresses of HOST (-4, -6 as nc and curl). */
  family?: 4 | 6;
  insecure: boolean;
  proxy?: string;
  service?: { type: string; domain: string };
  /** A Unix domain socket (-U PATH), as nc -U. */
  unixSocket?: string;
  upgrade?: string;
  protocol?: string;
  timeout: number;
  wait: boolean;
  /** When stdin ends, keep our side open until the server closes (ncat's --no-shutdown). */
  noShutdown: boolean;
  verbose: boolean;
  progress: boolean;
  help: boolean;
}

export const HELP = `streamtask: connect to a server and pipe stdin and stdout through the connection, like nc
and openssl s_client, built on the streamtask library.

Usage:
  streamtask [options] HOST PORT
  streamtask [options] -U PATH
  streamtask [options] --service _TYPE._tcp.DOMAIN
  streamtask [options] --upgrade URL --protocol NAME

Options:
  --tls                 TLS from the first byte (certificate and host name verified)
  --starttls PROTO      speak PROTO's preamble, then upgrade to TLS in place:
                        ${STARTTLS_PROTOCOLS.join(', ')}
  --servername NAME     the name sent as SNI and verified (default: HOST)
  --ca FILE             trust the CA certificates in FILE (PEM) instead of the system's
  --cert FILE           a client certificate (PEM) for TLS, with --key
  --key FILE            the client certificate's private key (PEM)
  --alpn LIST           ALPN protocols to offer, comma-separated, e.g. h2,http/1.1
  --insecure            do not verify the certificate (prints a warning; never in production)
  --proxy URL           through a proxy: http://[user:pass@]host:port or socks5://host:port
  -U, --unix PATH       connect to the Unix domain socket PATH instead of HOST PORT (TLS over it
                        verifies "localhost" unless --servername says otherwise)
  --service NAME        find HOST and PORT by DNS SRV, e.g. _imap._tcp.example.com (_ipp._tcp.local: multicast DNS)
  --upgrade URL         send an HTTP Upgrade request to URL (http: or https:), then pipe
  --protocol NAME       the protocol to upgrade to (required with --upgrade for http: URLs)
  -4, -6                only IPv4 or only IPv6 addresses of HOST (resolved here, then
                        TLS still verifies HOST)
  --timeout MS          time limit for connecting and for each protocol step (default 30000)
  --wait                wait for connectivity: retry a refused connection with backoff
  --no-shutdown         when stdin ends, keep our side open until the server closes (for servers
                        that stop answering at a half-close, such as Dovecot over TLS)
  -v, --verbose         on stderr: address, timings, TLS protocol, cipher, certificate, bytes
  --progress            a live byte counter on stderr (default: with --verbose on a terminal)
  -h, --help            this text

Stdin goes to the server as it comes (binary-safe); when stdin ends, our side is closed (FIN,
after TLS's close_notify) and the answer is still read to its end (--no-shutdown: our side stays
open). The tool exits when the server has closed its side.

Examples:
  printf 'PING\\r\\n' | streamtask 127.0.0.1 6379
  printf 'PING\\r\\n' | streamtask -U /run/redis/redis-server.sock
  streamtask --tls -v example.com 443 < request.txt
  streamtask --starttls smtp -v mail.example.com 587
  streamtask --service _imaps._tcp.example.com --tls
  streamtask --proxy http://proxy.local:3128 example.com 22
  streamtask --upgrade http://localhost:8080/chat --protocol chat

${EXIT_CODES_HELP}
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The options that take a value, by every name they answer to. */
const TAKES_VALUE = new Set(['--starttls', '--servername', '--ca', '--cert', '--key', '--alpn', '--proxy', '--service',
  '--unix', '-U', '--upgrade', '--protocol', '--timeout']);

/**
 * `--timeout -5` as `--timeout=-5`: parseArgs calls a value that starts with a dash "ambiguous",
 * and the user meant it as the value (which is then checked, and refused, in our own words).
 */
function joinDashValues(argv: string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (TAKES_VALUE.has(arg) && next !== undefined && next.startsWith('-') && !TAKES_VALUE.has(next) && !/^--?[a-zA-Z]/.test(next)) {
      joined.push(`${arg.startsWith('--') ? arg : '--unix'}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** parseArgs' errors, said as the rest of our usage errors are: the flag, and what it takes. */
function usageOf(error: Error & { code?: string }): UsageError {
  const message = error.message;
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${flag}`);
  if (/argument missing/.test(message)) return new UsageError(`${flag} needs a value`);
  if (/does not take an argument/.test(message)) return new UsageError(`${flag} takes no value`);
  return new UsageError(message.split('\n')[0]!);
}

const PROTOCOL_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)?$/;

function integer(name: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

export function parseCommandLine(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinDashValues(argv),
      allowPositionals: true,
      strict: true,
      options: {
        tls: { type: 'boolean', default: false },
        starttls: { type: 'string' },
        servername: { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        alpn: { type: 'string' },
        ipv4: { type: 'boolean', short: '4', default: false },
        ipv6: { type: 'boolean', short: '6', default: false },
        insecure: { type: 'boolean', default: false },
        proxy: { type: 'string' },
        service: { type: 'string' },
        unix: { type: 'string', short: 'U' },
        upgrade: { type: 'string' },
        protocol: { type: 'string' },
        timeout: { type: 'string' },
        wait: { type: 'boolean', default: false },
        'no-shutdown': { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        progress: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw usageOf(error as Error);
  }
  const { values, positionals } = parsed;
  const options: CliOptions = {
    tls: values.tls,
    insecure: values.insecure,
    timeout: values.timeout === undefined ? 30_000 : integer('--timeout', values.timeout, 1, 2_147_483_647),
    wait: values.wait,
    noShutdown: values['no-shutdown'],
    verbose: values.verbose,
    progress: values.progress || (values.verbose && process.stderr.isTTY === true),
    help: values.help,
  };
  if (options.help) return options;
  if (values.servername !== undefined) options.servername = values.servername;
  if (values.ca !== undefined) options.ca = values.ca;
  if (values.proxy !== undefined) options.proxy = values.proxy;
  if (values.protocol !== undefined) {
    if (!PROTOCOL_TOKEN.test(values.protocol)) throw new UsageError(`--protocol must be a protocol token such as websocket or chat/1, got ${JSON.stringify(values.protocol)}`);
    options.protocol = values.protocol;
  }
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together: give both');
  if (values.cert !== undefined) options.cert = values.cert;
  if (values.key !== undefined) options.key = values.key;
  if (values.alpn !== undefined) {
    const list = values.alpn.split(',').map((name) => name.trim());
    if (list.some((name) => name === '' || Buffer.byteLength(name) > 255)) {
      throw new UsageError(`--alpn must be a comma-separated list of protocol names (1 to 255 bytes each), got ${JSON.stringify(values.alpn)}`);
    }
    options.alpn = list;
  }
  if (values.ipv4 && values.ipv6) throw new UsageError('-4 and -6 exclude each other');
  if (values.ipv4 || values.ipv6) options.family = values.ipv4 ? 4 : 6;
  if (values.starttls !== undefined) {
    if (!(STARTTLS_PROTOCOLS as readonly string[]).includes(values.starttls)) {
      throw new UsageError(`--starttls must be one of ${STARTTLS_PROTOCOLS.join(', ')}, got ${JSON.stringify(values.starttls)}`);
    }
    options.starttls = values.starttls as StartTlsProtocol;
  }
  if (options.tls && options.starttls !== undefined) throw new UsageError('--tls and --starttls exclude each other');
  const ways = [values.service !== undefined, values.upgrade !== undefined, values.unix !== undefined, positionals.length > 0]
    .filter(Boolean).length;
  if (ways !== 1) throw new UsageError('give HOST PORT, or -U PATH, or --service, or --upgrade (one of them); see --help');
  if (values.unix !== undefined) {
    if (values.unix === '') throw new UsageError('-U must name the path of a Unix domain socket, got ""');
    options.unixSocket = values.unix;
  } else if (values.service !== undefined) {
    const match = /^(_[A-Za-z0-9-]+\._tcp)\.(.+)$/.exec(values.service);
    if (match === null) throw new UsageError(`--service must look like _imap._tcp.example.com, got ${JSON.stringify(values.service)}`);
    options.service = { type: match[1]!, domain: match[2]! };
  } else if (values.upgrade !== undefined) {
    let url: URL;
    try {
      url = new URL(values.upgrade);
    } catch {
      throw new UsageError(`--upgrade must be an http:, https:, ws: or wss: URL, got ${JSON.stringify(values.upgrade)}`);
    }
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
      throw new UsageError(`--upgrade must be an http:, https:, ws: or wss: URL, got ${JSON.stringify(values.upgrade)}`);
    }
    if (options.protocol === undefined && (url.protocol === 'http:' || url.protocol === 'https:')) {
      throw new UsageError('--upgrade with an http: or https: URL needs --protocol NAME (the protocol to switch to); ws: and wss: URLs default to websocket');
    }
    options.upgrade = values.upgrade;
    if (options.starttls !== undefined || options.tls) throw new UsageError('--upgrade takes https: URLs for TLS, not --tls or --starttls');
  } else {
    if (positionals.length !== 2) throw new UsageError(`expected HOST PORT, got ${positionals.length} argument(s)`);
    options.host = positionals[0]!;
    options.port = integer('PORT', positionals[1]!, 1, 65535);
  }
  if (options.protocol !== undefined && options.upgrade === undefined) throw new UsageError('--protocol goes with --upgrade');
  if (options.family !== undefined && options.host === undefined) throw new UsageError('-4 and -6 choose the addresses of HOST; they go with HOST PORT');
  if (options.family !== undefined && options.proxy !== undefined) throw new UsageError('-4 and -6 choose the addresses of HOST for a direct connection; through --proxy the proxy resolves HOST');
  const secure = options.tls || options.starttls !== undefined || options.upgrade?.startsWith('https:') === true || options.upgrade?.startsWith('wss:') === true;
  if (!secure && (options.cert !== undefined || options.alpn !== undefined)) throw new UsageError('--cert, --key and --alpn are TLS options: add --tls or --starttls (or an https:/wss: --upgrade URL)');
  return options;
}
