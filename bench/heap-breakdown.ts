/**
 * What an open idle connection holds, object by object: a heap snapshot before and after opening
 * N connections (each with one round trip, as in many-tasks), the objects that are new in the
 * second, grouped by kind, name and what holds them, per connection. Kinds with fewer than one
 * object per two connections are left out (shared growth, not per connection), and so are
 * holders of fewer than one per ten. Not part of
 * `npm run bench`: it explains the many-tasks memory figure.
 *
 *   node --expose-gc build/bench/heap-breakdown.js raw|client|task [N]
 */
import { readFileSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Session, type StreamTask } from 'streamtask';
import { destroyAll, echoRequest, echoRoundTrip, keepAsAClient, rawSocket } from './clients.js';
import { startServer } from './harness.js';

const [variant = 'task', countArgument = '2000'] = process.argv.slice(2);
const count = Number(countArgument);
if (!['raw', 'client', 'task'].includes(variant) || !(count > 0)) {
  console.error('usage: heap-breakdown.js raw|client|task [N]');
  process.exit(2);
}
const PAYLOAD = Buffer.alloc(64, 0x6d);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface HeapObject {
  kind: string;
  name: string;
  size: number;
  /** The first object that holds it, and through which property: `Socket._peername`. */
  heldBy: string;
}

/** Every object in the heap by id, with its kind, name, size and a holder. */
function takeSnapshot(): Map<number, HeapObject> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const file = v8.writeHeapSnapshot(join(tmpdir(), `streamtask-heap-${process.pid}-${Date.now()}.heapsnapshot`));
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  rmSync(file);
  const { meta } = parsed.snapshot;
  const fields = meta.node_fields;
  const kinds = meta.node_types[0];
  const [type, name, id, size, edgeCount] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((field) => fields.indexOf(field)) as [number, number, number, number, number];
  const edgeKinds = meta.edge_types[0];
  const [edgeType, edgeName, toNode] = ['type', 'name_or_index', 'to_node'].map((field) => meta.edge_fields.indexOf(field)) as [number, number, number];
  const label = (node: number): string => {
    const kind = kinds[parsed.nodes[node + type]!]!;
    return kind === 'string' || kind === 'concatenated string' ? '(string)' : parsed.strings[parsed.nodes[node + name]!]!.slice(0, 60);
  };
  // The first strong holder of each object (edges are stored node after node).
  const holders = new Map<number, string>();
  let edge = 0;
  for (let node = 0; node < parsed.nodes.length; node += fields.length) {
    for (let left = parsed.nodes[node + edgeCount]!; left > 0; left--, edge += meta.edge_fields.length) {
      const kind = edgeKinds[parsed.edges[edge + edgeType]!]!;
      if (kind === 'weak' || kind === 'shortcut') continue;
      const target = parsed.edges[edge + toNode]!;
      if (holders.has(target)) continue;
      const via = kind === 'element' || kind === 'hidden' ? '[]' : `.${parsed.strings[parsed.edges[edge + edgeName]!]}`;
      holders.set(target, `${label(node)}${via}`);
    }
  }
  const objects = new Map<number, HeapObject>();
  for (let node = 0; node < parsed.nodes.length; node += fields.length) {
    objects.set(parsed.nodes[node + id]!, { kind: kinds[parsed.nodes[node + type]!]!, name: label(node), size: parsed.nodes[node + size]!, heldBy: holders.get(node) ?? '' });
  }
  return objects;
}

async function openRaw(port: number, asClient: boolean): Promise<net.Socket> {
  const socket = await rawSocket(port);
  await echoRoundTrip(socket, PAYLOAD);
  if (asClient) keepAsAClient(socket);
  return socket;
}

const server = await startServer();
const session = new Session();
const sockets: net.Socket[] = [];
const tasks: StreamTask[] = [];
async function open(): Promise<void> {
  if (variant === 'task') {
    const task = await session.connect('127.0.0.1', server.tcpPort);
    await task.write(echoRequest(PAYLOAD));
    await task.readExactly(PAYLOAD.length);
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

// Rows are kind, name and holder; the cut below applies to kind and name together: objects of
// one kind are often held through different properties (a task by the socket that names it, or
// by the task before it in the session's list), and each part alone could fall under the cut.
const rows = new Map<string, { family: string; count: number; size: number }>();
const families = new Map<string, number>();
for (const [id, object] of after) {
  if (before.has(id)) continue;
  const family = `${object.kind} ${object.name}`;
  const key = `${family}  ← ${object.heldBy}`;
  const row = rows.get(key) ?? { family, count: 0, size: 0 };
  row.count++;
  row.size += object.size;
  rows.set(key, row);
  families.set(family, (families.get(family) ?? 0) + 1);
}
let total = 0;
const shown = [...rows]
  .filter(([, row]) => families.get(row.family)! >= count / 2 && row.count >= count / 10)
  .sort((a, b) => b[1].size - a[1].size);
for (const [key, row] of shown) {
  total += row.size;
  console.log(`${(row.size / count).toFixed(1).padStart(8)} B  ${(row.count / count).toFixed(2).padStart(5)} ×  ${key}`);
}
console.log(`${(total / count).toFixed(1).padStart(8)} B  in all, per connection (${variant}, N = ${count})`);

await session[Symbol.asyncDispose]();
await destroyAll(sockets);
await server.stop();
