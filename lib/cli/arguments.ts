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
  insecure: boolean;
  proxy?: string;
  service?: { type: string; domain: string };
  /** A Unix domain socket (-U PATH), as nc -U. */
  unixSocket?: string;
  upgrade?: string;
  protocol?: string;
  timeout: number;
  wait: boolean;
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
  --insecure            do not verify the certificate (prints a warning; never in production)
  --proxy URL           through a proxy: http://[user:pass@]host:port or socks5://host:port
  -U, --unix PATH       connect to the Unix domain socket PATH instead of HOST PORT (TLS over it
                        verifies "localhost" unless --servername says otherwise)
  --service NAME        find HOST and PORT by DNS SRV, e.g. _imap._tcp.example.com (_ipp._tcp.local: multicast DNS)
  --upgrade URL         send an HTTP Upgrade request to URL (http: or https:), then pipe
  --protocol NAME       the protocol to upgrade to (required with --upgrade for http: URLs)
  --timeout MS          time limit for connecting and for each protocol step (default 30000)
  --wait                wait for connectivity: retry a refused connection with backoff
  -v, --verbose         on stderr: address, timings, TLS protocol, cipher, certificate, bytes
  --progress            a live byte counter on stderr (default: with --verbose on a terminal)
  -h, --help            this text

Stdin goes to the server as it comes (binary-safe); when stdin ends, our side is closed (FIN)
and the answer is still read to its end. The tool exits when the server has closed its side.

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
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        tls: { type: 'boolean', default: false },
        starttls: { type: 'string' },
        servername: { type: 'string' },
        ca: { type: 'string' },
        insecure: { type: 'boolean', default: false },
        proxy: { type: 'string' },
        service: { type: 'string' },
        unix: { type: 'string', short: 'U' },
        upgrade: { type: 'string' },
        protocol: { type: 'string' },
        timeout: { type: 'string' },
        wait: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        progress: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const options: CliOptions = {
    tls: values.tls,
    insecure: values.insecure,
    timeout: values.timeout === undefined ? 30_000 : integer('--timeout', values.timeout, 1, 2_147_483_647),
    wait: values.wait,
    verbose: values.verbose,
    progress: values.progress || (values.verbose && process.stderr.isTTY === true),
    help: values.help,
  };
  if (options.help) return options;
  if (values.servername !== undefined) options.servername = values.servername;
  if (values.ca !== undefined) options.ca = values.ca;
  if (values.proxy !== undefined) options.proxy = values.proxy;
  if (values.protocol !== undefined) options.protocol = values.protocol;
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
    options.upgrade = values.upgrade;
    if (options.starttls !== undefined || options.tls) throw new UsageError('--upgrade takes https: URLs for TLS, not --tls or --starttls');
  } else {
    if (positionals.length !== 2) throw new UsageError(`expected HOST PORT, got ${positionals.length} argument(s)`);
    options.host = positionals[0]!;
    options.port = integer('PORT', positionals[1]!, 1, 65535);
  }
  return options;
}
