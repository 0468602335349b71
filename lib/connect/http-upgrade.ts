/**
 * HTTP/1.1 Upgrade (RFC 9110 §7.8, RFC 6455 for WebSocket): the request is sent on the task's
 * own connection, and on `101 Switching Protocols` the connection is the task's. Bytes the server
 * sent after the 101 head are already in the task's buffer: its first bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { streamTaskError } from '../errors.js';
import { bytesArgument, describe, optionsArgument, stringArgument } from '../validate.js';
import { headersArgument, listsToken, readResponseHead, requestHead, unexpectedResponse, type HttpResponseHead } from './http-head.js';
import type { Preamble } from './preamble.js';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * What `session.upgrade()` takes besides the URL.
 *
 * @example
 * ```ts
 * const request: UpgradeRequestOptions = { protocol: 'chat/1', headers: { authorization: 'Bearer abc' } };
 * const { task } = await session.upgrade('http://127.0.0.1:8080/chat', request);
 * ```
 */
export interface UpgradeRequestOptions {
  /** The protocol to switch to (the `Upgrade` field). Default 'websocket' for ws:/wss: URLs; required otherwise. */
  protocol?: string;
  /** Extra request fields: an object, [name, value] pairs, or Headers. */
  headers?: Record<string, string> | [string, string][] | Headers;
  /** Default 'GET'. */
  method?: string;
  /** A request body (sent with Content-Length). */
  body?: string | Uint8Array;
}

/**
 * The server's 101 answer.
 *
 * @example
 * ```ts
 * const { response }: { response: UpgradeResponse } = await session.upgrade('ws://127.0.0.1:8080/');
 * console.log(response.status, response.headers['sec-websocket-protocol']);
 * ```
 */
export interface UpgradeResponse extends HttpResponseHead {
  /** 101. */
  status: number;
  /** The reason phrase, usually `'Switching Protocols'`. */
  statusText: string;
  /** Lower-case names; repeated fields joined with ", " (as Node's `message.headers`). */
  headers: Record<string, string>;
  /** Names and values as received, in order. */
  rawHeaders: [string, string][];
}

export interface UpgradeTarget {
  host: string;
  port: number;
  secure: boolean;
  /** Path and query, e.g. "/chat?room=1". */
  path: string;
  /** The Host field's value. */
  authority: string;
}

const DEFAULT_PORTS: Record<string, [number, boolean]> = { 'http:': [80, false], 'ws:': [80, false], 'https:': [443, true], 'wss:': [443, true] };

/** Parses and checks the URL of an upgrade. Throws TypeError naming what is wrong. */
export function upgradeTarget(url: unknown): UpgradeTarget {
  let parsed: URL;
  try {
    parsed = url instanceof URL ? url : new URL(String(url));
  } catch {
    throw new TypeError(`Expected \`url\` to be an absolute http:, https:, ws: or wss: URL, got ${describe(url)}`);
  }
  const scheme = DEFAULT_PORTS[parsed.protocol];
  if (scheme === undefined) {
    throw new TypeError(`Expected \`url\` to be an http:, https:, ws: or wss: URL, got ${describe(parsed.href)}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new TypeError('Expected `url` without credentials: send an Authorization header instead');
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? scheme[0] : Number(parsed.port);
  return { host, port, secure: scheme[1], path: `${parsed.pathname}${parsed.search}`, authority: parsed.host };
}

/** The values of the request field `name` (case-insensitive), comma lists split, trimmed, lower-cased. */
function offered(fields: [string, string][], name: string, item: (value: string) => string = (value) => value): Set<string> {
  const values = fields.filter(([field]) => field.toLowerCase() === name).flatMap(([, value]) => value.split(','));
  return new Set(values.map((value) => item(value).trim().toLowerCase()).filter((value) => value !== ''));
}

/**
 * What RFC 6455 §4.1 says a client must fail a 101 for, as a message, or null when it is sound:
 * no `Connection: Upgrade`, a wrong `Sec-WebSocket-Accept`, an extension or subprotocol we did not
 * offer. (`Upgrade: websocket` is checked for every protocol before this.)
 */
function websocketRefusal(head: HttpResponseHead, key: string, request: [string, string][]): string | null {
  if (!listsToken(head.headers.connection, 'upgrade')) {
    return `the 101 response has Connection ${JSON.stringify(head.headers.connection ?? '')}, not Upgrade (RFC 6455 §4.1)`;
  }
  const expected = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
  if (head.headers['sec-websocket-accept'] !== expected) return 'Sec-WebSocket-Accept does not match the key we sent';
  const extensionName = (value: string): string => value.split(';')[0]!;
  const offeredExtensions = offered(request, 'sec-websocket-extensions', extensionName);
  const extensions = head.headers['sec-websocket-extensions'];
  if (extensions !== undefined) {
    for (const extension of extensions.split(',').map((value) => extensionName(value).trim().toLowerCase()).filter((value) => value !== '')) {
      if (!offeredExtensions.has(extension)) return `the 101 response uses the extension ${JSON.stringify(extension)}, which we did not offer (RFC 6455 §4.1)`;
    }
  }
  const protocol = head.headers['sec-websocket-protocol'];
  if (protocol !== undefined) {
    const offeredProtocols = offered(request, 'sec-websocket-protocol');
    if (protocol.includes(',') || !offeredProtocols.has(protocol.trim().toLowerCase())) {
      return `the 101 response chose the subprotocol ${JSON.stringify(protocol)}, which we did not offer (RFC 6455 §4.1)`;
    }
  }
  return null;
}

/** The preamble that sends the request and checks the answer; `response()` is the 101 once it came. */
export function upgradePreamble(target: UpgradeTarget, scheme: string, options: unknown): { preamble: Preamble; response: () => UpgradeResponse } {
  const given = optionsArgument<UpgradeRequestOptions>('options', options);
  const websocketUrl = scheme === 'ws:' || scheme === 'wss:';
  const protocol = stringArgument('options.protocol', given.protocol) ?? (websocketUrl ? 'websocket' : undefined);
  if (protocol === undefined || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)?$/.test(protocol)) {
    throw new TypeError(`Expected \`options.protocol\` to be a protocol token such as "websocket", got ${describe(given.protocol)}`);
  }
  const method = stringArgument('options.method', given.method) ?? 'GET';
  if (!/^[A-Z][A-Z0-9_-]*$/i.test(method)) throw new TypeError(`Expected \`options.method\` to be an HTTP method, got ${describe(method)}`);
  const extra = headersArgument('options.headers', given.headers);
  const body = given.body === undefined ? undefined : bytesArgument('options.body', given.body);
  const isWebSocket = protocol.toLowerCase() === 'websocket';
  const key = isWebSocket ? randomBytes(16).toString('base64') : undefined;

  const fields: [string, string][] = [['Host', target.authority], ['Connection', 'Upgrade'], ['Upgrade', protocol]];
  if (key !== undefined) fields.push(['Sec-WebSocket-Key', key], ['Sec-WebSocket-Version', '13']);
  const reserved = new Set(fields.map(([field]) => field.toLowerCase()).concat('content-length'));
  for (const [field, value] of extra) {
    if (reserved.has(field.toLowerCase())) throw new TypeError(`Expected \`options.headers\` not to set ${field}: the upgrade sets it`);
    fields.push([field, value]);
  }
  if (body !== undefined) fields.push(['Content-Length', String(body.length)]);

  let answer: UpgradeResponse | undefined;
  const preamble: Preamble = async (io) => {
    const context = io.context('upgrade');
    await io.write(requestHead(method, target.path || '/', fields));
    if (body !== undefined && body.length > 0) await io.write(body);
    const head = await readResponseHead(io, context);
    if (head.status !== 101) throw await unexpectedResponse(io, context, head, 'the server did not switch protocols');
    if (!listsToken(head.headers.upgrade, protocol.split('/')[0]!)) {
      throw streamTaskError('badServerResponse', context, `the 101 response upgrades to ${JSON.stringify(head.headers.upgrade ?? '')}, not ${protocol}`, { response: { ...head, body: new Uint8Array(0) } });
    }
    if (key !== undefined) {
      const refusal = websocketRefusal(head, key, extra);
      if (refusal !== null) throw streamTaskError('badServerResponse', context, refusal, { response: { ...head, body: new Uint8Array(0) } });
    }
    answer = head;
  };
  return {
    preamble,
    response: () => {
      if (answer === undefined) throw new Error('the upgrade has not happened');
      return answer;
    },
  };
}
