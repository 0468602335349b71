/**
 * Which proxy a task goes through, and the preamble that opens its tunnel: HTTP CONNECT (with
 * Basic authentication) or SOCKS5. `'env'` reads HTTPS_PROXY, ALL_PROXY and NO_PROXY as curl does.
 */
import * as net from 'node:net';
import { describe } from '../validate.js';
import { readResponseHead, requestHead, unexpectedResponse } from './http-head.js';
import type { Preamble, Route } from './preamble.js';
import { socks5Preamble } from './socks5.js';

/**
 * Proxies, by kind: `http` tunnels with CONNECT, `socks` is SOCKS5. Or `'env'`: the proxy named by
 * `ALL_PROXY`/`HTTPS_PROXY` and skipped for hosts in `NO_PROXY`, as curl reads them.
 *
 * @example
 * ```ts
 * const proxy: ProxyConfiguration = { socks: 'socks5h://user:secret@127.0.0.1:1080' };
 * const proxied = new Session({ proxy });
 * ```
 */
export type ProxyConfiguration =
  | {
      /** An `http://[user:password@]host:port` proxy, asked with CONNECT. */
      http?: string | URL;
      /** A `socks5://` (we resolve names) or `socks5h://` (the proxy resolves them) proxy. */
      socks?: string | URL;
    }
  | 'env';

/** A proxy, parsed and checked. */
export interface Proxy {
  kind: 'http' | 'socks5';
  host: string;
  port: number;
  username: string;
  password: string;
}

/** Validates `configuration.proxy`. Throws TypeError naming the field. */
export function proxyArgument(name: string, value: unknown): ProxyConfiguration | null {
  if (value === undefined || value === null) return null;
  if (value === 'env') return 'env';
  if (typeof value !== 'object') throw new TypeError(`Expected \`${name}\` to be { http } or { socks } or 'env', got ${describe(value)}`);
  const given = value as { http?: unknown; socks?: unknown };
  if (given.http !== undefined && given.socks !== undefined) {
    throw new TypeError(`Expected \`${name}\` to set one of http or socks, not both`);
  }
  if (given.http !== undefined) parseProxy(`${name}.http`, given.http, 'http');
  if (given.socks !== undefined) parseProxy(`${name}.socks`, given.socks, 'socks5');
  return given as ProxyConfiguration;
}

function parseProxy(name: string, value: unknown, kind: Proxy['kind']): Proxy {
  let url: URL;
  try {
    url = value instanceof URL ? value : new URL(String(value));
  } catch {
    throw new TypeError(`Expected \`${name}\` to be a proxy URL, got ${describe(value)}`);
  }
  const schemes = kind === 'http' ? ['http:'] : ['socks5:', 'socks5h:', 'socks:'];
  if (!schemes.includes(url.protocol)) {
    throw new TypeError(`Expected \`${name}\` to be a ${schemes.join(' or ')} URL (other kinds of proxy are not supported), got ${describe(url.href)}`);
  }
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (kind === 'socks5') {
    // RFC 1929 gives each a one-byte length: a longer one would be sent wrapped (300 as 44) and
    // the proxy would wait for bytes that never come. The values are secrets: only lengths are named.
    for (const [what, text] of [['username', username], ['password', password]] as const) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > 255) throw new RangeError(`Expected the ${what} of \`${name}\` to be at most 255 bytes in UTF-8 (RFC 1929), got ${bytes}`);
    }
  }
  return {
    kind,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (kind === 'http' ? 80 : 1080) : Number(url.port),
    username,
    password,
  };
}

/** The proxy for `host`:`port`, if any. */
export function chooseProxy(configuration: ProxyConfiguration | null, host: string, port: number, env = process.env): Proxy | null {
  if (configuration === null) return null;
  if (configuration !== 'env') {
    if (configuration.http !== undefined) return parseProxy('proxy.http', configuration.http, 'http');
    if (configuration.socks !== undefined) return parseProxy('proxy.socks', configuration.socks, 'socks5');
    return null;
  }
  const url = env.HTTPS_PROXY ?? env.https_proxy ?? env.ALL_PROXY ?? env.all_proxy;
  if (url === undefined || url === '' || bypasses(env.NO_PROXY ?? env.no_proxy ?? '', host, port)) return null;
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1]?.toLowerCase() ?? 'http';
  return parseProxy('the proxy environment variable', scheme.startsWith('socks') ? url : url.includes('://') ? url : `http://${url}`,
    scheme.startsWith('socks') ? 'socks5' : 'http');
}

/** curl's NO_PROXY: "*", host names (a leading dot optional, matching subdomains too), IPs, optional ":port". */
export function bypasses(noProxy: string, host: string, port: number): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return noProxy.split(',').map((entry) => entry.trim().toLowerCase()).some((entry) => {
    if (entry === '') return false;
    if (entry === '*') return true;
    let pattern = entry;
    const portMatch = /^(.*[^:]):(\d+)$/.exec(entry);
    if (portMatch !== null && !net.isIPv6(entry)) {
      if (Number(portMatch[2]) !== port) return false;
      pattern = portMatch[1]!;
    }
    pattern = pattern.replace(/^\[(.*)\]$/, '$1').replace(/^\*?\./, '').replace(/\.$/, '');
    return name === pattern || (net.isIP(name) === 0 && name.endsWith(`.${pattern}`));
  });
}

/** The route through `proxy` to `host`:`port`. */
export function proxyRoute(proxy: Proxy, afterTls: Preamble[]): Route {
  const where = `${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
  const credentials = proxy.username === '' && proxy.password === '' ? null : { username: proxy.username, password: proxy.password };
  return {
    host: proxy.host,
    port: proxy.port,
    via: `${proxy.kind === 'http' ? 'HTTP' : 'SOCKS5'} proxy ${where}`,
    beforeTls: [proxy.kind === 'http' ? connectPreamble(credentials) : socks5Preamble(credentials)],
    afterTls,
  };
}

/** HTTP CONNECT (RFC 9110 §9.3.6): a 2xx opens the tunnel; its Content-Length and Transfer-Encoding mean nothing. */
function connectPreamble(credentials: { username: string; password: string } | null): Preamble {
  return async (io) => {
    const context = io.context('connect via HTTP proxy');
    const authority = `${io.host.includes(':') ? `[${io.host}]` : io.host}:${io.port}`;
    const fields: [string, string][] = [['Host', authority]];
    if (credentials !== null) {
      fields.push(['Proxy-Authorization', `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`]);
    }
    await io.write(requestHead('CONNECT', authority, fields));
    const head = await readResponseHead(io, context);
    if (head.status < 200 || head.status > 299) throw await unexpectedResponse(io, context, head, 'the proxy refused the tunnel');
  };
}
