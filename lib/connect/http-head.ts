/**
 * The HTTP/1.1 we need to open tunnels and upgrades: a request head we build (refusing CR, LF and
 * NUL in names and values before anything is sent) and a response head we read through the task's
 * buffer (capped; 100 Continue skipped), so the bytes after the head stay there, untouched.
 */
import { streamTaskError, StreamTaskError, type ErrorContext } from '../errors.js';
import { describe } from '../validate.js';
import type { PreambleIO } from './preamble.js';

/** The most bytes a response head may take. */
export const MAX_HEAD_BYTES = 64 * 1024;

/** An HTTP response as far as a tunnel or upgrade needs it. */
export interface HttpResponseHead {
  status: number;
  statusText: string;
  /** Lower-case names; repeated fields joined with ", " (as Node's `message.headers`). */
  headers: Record<string, string>;
  /** Names and values as received, in order. */
  rawHeaders: [string, string][];
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Header fields given by the user: names must be tokens, values free of CR, LF and NUL. */
export function headersArgument(name: string, value: unknown): [string, string][] {
  if (value === undefined) return [];
  let entries: [unknown, unknown][];
  if (value instanceof Headers) entries = [...value.entries()];
  else if (Array.isArray(value)) entries = value as [unknown, unknown][];
  else if (typeof value === 'object' && value !== null) entries = Object.entries(value);
  else throw new TypeError(`Expected \`${name}\` to be an object, an array of [name, value] or Headers, got ${describe(value)}`);
  return entries.map((entry) => {
    const [field, content] = Array.isArray(entry) ? entry : [undefined, undefined];
    if (typeof field !== 'string' || !TOKEN.test(field)) {
      throw new TypeError(`Expected \`${name}\` field names to be HTTP tokens, got ${describe(field)}`);
    }
    const text = typeof content === 'number' ? String(content) : content;
    if (typeof text !== 'string' || /[\r\n\0]/.test(text)) {
      throw new TypeError(`Expected \`${name}.${field}\` to be a string without CR, LF or NUL, got ${describe(content)}`);
    }
    return [field, text];
  });
}

/** A request head, ready to send. */
export function requestHead(method: string, target: string, fields: [string, string][]): string {
  return `${method} ${target} HTTP/1.1\r\n${fields.map(([field, value]) => `${field}: ${value}\r\n`).join('')}\r\n`;
}

/** Reads one response head, skipping interim `100 Continue` heads (never a 101: that is the answer). */
export async function readResponseHead(io: PreambleIO, context: ErrorContext): Promise<HttpResponseHead> {
  for (;;) {
    const head = parseResponseHead(await readHeadLines(io, context), context);
    if (head.status === 100 || (head.status > 101 && head.status < 200)) continue;
    return head;
  }
}

/**
 * The lines of one response head, up to its empty line, read line by line so that not one byte
 * after the head is taken (those are the task's). A line may end in CRLF or in a bare LF (RFC
 * 9112 §2.2 lets a recipient accept a lone LF, and some servers and proxies send them).
 */
async function readHeadLines(io: PreambleIO, context: ErrorContext): Promise<string[]> {
  const lines: string[] = [];
  let left = MAX_HEAD_BYTES;
  for (;;) {
    let bytes: Uint8Array;
    try {
      bytes = await io.readUntil('\n', left);
    } catch (error) {
      if (error instanceof StreamTaskError && error.code === 'limitOverrun') throw headTooLarge(context, error);
      if (error instanceof StreamTaskError && error.code === 'incompleteRead') {
        throw streamTaskError('badServerResponse', context, 'the server closed the connection before a complete response head', { cause: error });
      }
      throw error;
    }
    left -= bytes.length;
    const end = bytes.length > 1 && bytes[bytes.length - 2] === 0x0d ? bytes.length - 2 : bytes.length - 1;
    const line = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
    if (line === '') return lines;
    // Not HTTP (an SSH or SMTP banner): say so now, not when a head that never comes times out.
    if (lines.length === 0 && !STATUS_LINE.test(line)) throw notHttp(context, line);
    lines.push(line);
    if (left === 0) throw headTooLarge(context);
  }
}

function headTooLarge(context: ErrorContext, cause?: StreamTaskError): StreamTaskError {
  return streamTaskError('badServerResponse', context, `the response head is larger than ${MAX_HEAD_BYTES} bytes`, cause === undefined ? {} : { cause });
}

function notHttp(context: ErrorContext, statusLine: string): StreamTaskError {
  return streamTaskError('badServerResponse', context, `not an HTTP/1.1 response: ${JSON.stringify(statusLine.slice(0, 80))}`);
}

export function parseResponseHead(lines: string[], context: ErrorContext): HttpResponseHead {
  const statusLine = STATUS_LINE.exec(lines[0] ?? '');
  if (statusLine === null) throw notHttp(context, lines[0] ?? '');
  const headers: Record<string, string> = {};
  const rawHeaders: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const field = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(field)) {
      throw streamTaskError('badServerResponse', context, `malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const value = line.slice(colon + 1).trim();
    rawHeaders.push([field, value]);
    const key = field.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return { status: Number(statusLine[1]), statusText: statusLine[2] ?? '', headers, rawHeaders };
}

/** Whether a comma-separated header value lists `token` (case-insensitive). */
export function listsToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((item) => item.trim().split('/')[0]!.toLowerCase() === token.toLowerCase());
}

/** `badServerResponse` carrying the response and the start of its body. */
export async function unexpectedResponse(
  io: PreambleIO,
  context: ErrorContext,
  head: HttpResponseHead,
  why: string,
): Promise<StreamTaskError> {
  const length = Number(head.headers['content-length'] ?? 1024);
  const body = length > 0 ? await io.readSome(Math.min(1024, Number.isFinite(length) ? length : 1024), 200) : new Uint8Array(0);
  return streamTaskError('badServerResponse', context, `${why}: ${head.status} ${head.statusText}`.trimEnd(), {
    response: { ...head, body },
  });
}
