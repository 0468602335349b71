/**
 * What an open idle connection holds, object by object: a heap snapshot before and after opening
 * N connections (each with one round trip, as in many-tasks), the objects that are new in the
 * second, grouped by kind and name, per connection. Not part of `npm run bench`: it explains the
 * many-tasks memory figure.
 *
 *   node --expose-gc build/bench/heap-breakdown.js raw|client|task [N]
 */
import { readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Session, type StreamTask } from 'streamtask';
import { rawSocket } from './clients.js';
import { startServer } from './harness.js';

const [variant = 'task', countArgument = '2000'] = process.argv.slice(2);
const count = Number(countArgument);
/** The bench server echoes what follows `ECHO\n`. */
const PAYLOAD = 64;
const MESSAGE = Buffer.concat([Buffer.from('ECHO\n'), Buffer.alloc(PAYLOAD, 0x6d)]);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Every object in the heap by id, with its kind, name and size. */
function takeSnapshot(): Map<number, { kind: string; name: string; size: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const file = v8.writeHeapSnapshot(join(tmpdir(), `streamtask-heap-${process.pid}-${Date.now()}.heapsnapshot`));
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  rmSync(file);
  const fields = parsed.snapshot.meta.node_fields;
  const kinds = parsed.snapshot.meta.node_types[0];
  const [type, name, id, size] = ['type', 'name', 'id', 'self_size'].map((field) => fields.indexOf(field));
  const objects = new Map<number, { kind: string; name: string; size: number }>();
  for (let i = 0; i < parsed.nodes.length; i += fields.length) {
    const kind = kinds[parsed.nodes[i + type!]!]!;
    const label = kind === 'string' || kind === 'concatenated string' ? '(string)' : parsed.strings[parsed.nodes[i + name!]!]!;
    objects.set(parsed.nodes[i + id!]!, { kind, name: label.slice(0, 60), size: parsed.nodes[i + size!]! });
  }
  return objects;
}

async function openRaw(port: number, asClient: boolean): Promise<net.Socket> {
  const socket = await rawSocket(port);
  await new Promise<void>((resolve) => {
    let pending = PAYLOAD;
    const onData = (chunk: Buffer): void => {
      pending -= chunk.length;
      if (pending > 0) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.write(MESSAGE);
  });
  if (asClient) {
    const ignore = (): void => {};
    for (const event of ['data', 'end', 'error', 'close']) socket.on(event, ignore);
    void socket.localAddress;
    void socket.remoteAddress;
  }
  return socket;
}

const server = await startServer();
const session = new Session();
const sockets: net.Socket[] = [];
const tasks: StreamTask[] = [];
async function open(): Promise<void> {
  if (variant === 'task') {
    const task = await session.connect('127.0.0.1', server.tcpPort);
    await task.write(MESSAGE);
    await task.readExactly(PAYLOAD);
    tasks.push(task);
  } else {
    sockets.push(await openRaw(server.tcpPort, variant === 'client'));
  }
}
// Warm up: the first connections make shared objects (code, maps) that are not per connection.
for (let i = 0; i < 50; i++) await open();
// Only the ids: objects made to hold the first snapshot would count as the connections' own.
const before = new Set(takeSnapshot().keys());
for (let i = 0; i < count; i++) await open();
const after = takeSnapshot();

const groups = new Map<string, { count: number; size: number }>();
for (const [id, object] of after) {
  if (before.has(id)) continue;
  const key = `${object.kind} ${object.name}`;
  const group = groups.get(key) ?? { count: 0, size: 0 };
  group.count++;
  group.size += object.size;
  groups.set(key, group);
}
let total = 0;
const rows = [...groups].filter(([, group]) => group.count >= count / 2).sort((a, b) => b[1].size - a[1].size);
for (const [key, group] of rows) {
  total += group.size;
  console.log(`${(group.size / count).toFixed(1).padStart(8)} B  ${(group.count / count).toFixed(2).padStart(5)} ×  ${key}`);
}
console.log(`${(total / count).toFixed(1).padStart(8)} B  in all, per connection (${variant}, N = ${count})`);

await session[Symbol.asyncDispose]();
await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve).destroy())));
await server.stop();
