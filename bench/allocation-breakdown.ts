/**
 * What opening a connection allocates, site by site: V8's sampling heap profiler (every 32 bytes,
 * counting objects collected since) over N connections opened 500 at a time, each with one 64-byte
 * round trip as in many-tasks, per connection. What is alive at a scavenge while connections
 * open is what grows V8's young generation, most of the RSS many-tasks reports, so these bytes
 * matter even though they die. Each row is the deepest frame of the library (or, for a raw
 * socket or promise-socket, the allocating frame and its caller) and what it called. Not part of
 * `npm run bench`: it explains the many-tasks memory figure.
 *
 *   node build/bench/allocation-breakdown.js raw|promise-socket|task [N]
 */
import { Session as Inspector } from 'node:inspector/promises';
import type net from 'node:net';
import PromiseSocket from 'promise-socket';
import { Session, type StreamTask } from 'streamtask';
import { destroyAll, echoRequest, echoRoundTrip, rawSocket } from './clients.js';
import { startServer } from './harness.js';

const [variant = 'task', countArgument = '2000'] = process.argv.slice(2);
const count = Number(countArgument);
if (!['raw', 'promise-socket', 'task'].includes(variant) || !(count > 0)) {
  console.error('usage: allocation-breakdown.js raw|promise-socket|task [N]');
  process.exit(2);
}
const PAYLOAD = Buffer.alloc(64, 0x6d);
const WAVE = 500;

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const server = await startServer();
const session = new Session();

async function openTask(): Promise<StreamTask> {
  const task = await session.connect('127.0.0.1', server.tcpPort);
  await task.write(echoRequest(PAYLOAD));
  await task.readExactly(PAYLOAD.length);
  return task;
}

async function openRaw(): Promise<net.Socket> {
  const socket = await rawSocket(server.tcpPort);
  await echoRoundTrip(socket, PAYLOAD);
  return socket;
}

async function openPromiseSocket(): Promise<net.Socket> {
  const socket = new PromiseSocket(await rawSocket(server.tcpPort));
  await socket.write(echoRequest(PAYLOAD));
  for (let got = 0; got < PAYLOAD.length;) got += (await socket.read(PAYLOAD.length - got))!.length;
  return socket.stream;
}

const open: () => Promise<StreamTask | net.Socket> = variant === 'task' ? openTask : variant === 'raw' ? openRaw : openPromiseSocket;
async function openMany(total: number): Promise<(StreamTask | net.Socket)[]> {
  const all: (StreamTask | net.Socket)[] = [];
  for (let start = 0; start < total; start += WAVE) {
    all.push(...await Promise.all(Array.from({ length: Math.min(WAVE, total - start) }, open)));
  }
  return all;
}
async function closeAll(all: (StreamTask | net.Socket)[]): Promise<void> {
  const tasks = all.filter((item): item is StreamTask => !('destroy' in item));
  for (const task of tasks) task.cancel();
  await Promise.all(tasks.map((task) => task.closed.catch(() => {})));
  await destroyAll(all.filter((item): item is net.Socket => 'destroy' in item));
}

// Warm up: code compiled, maps and pools made once per process are not per connection.
await closeAll(await openMany(WAVE));
const inspector = new Inspector();
inspector.connect();
await inspector.post('HeapProfiler.startSampling', {
  samplingInterval: 32,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const opened = await openMany(count);
const { profile } = await inspector.post('HeapProfiler.stopSampling') as { profile: { head: ProfileNode } };
inspector.disconnect();
await closeAll(opened);

const ours = (frame: string): boolean => frame.includes(' dist/');
const sites = new Map<string, number>();
function visit(node: ProfileNode, stack: string[]): void {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.includes('/dist/') ? `dist/${url.split('/dist/')[1]}` : url.split('/').slice(-2).join('/');
  const frames = [...stack, `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`];
  if (node.selfSize > 0) {
    const deepestOurs = frames.findLast(ours);
    const leaf = frames[frames.length - 1]!;
    const site = deepestOurs === undefined ? frames.slice(-2).reverse().join(' < ')
      : deepestOurs === leaf ? deepestOurs : `${deepestOurs} → ${leaf}`;
    sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
  }
  for (const child of node.children) visit(child, frames);
}
visit(profile.head, []);
let total = 0;
for (const size of sites.values()) total += size;
for (const [site, size] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  console.log(`${(size / count).toFixed(0).padStart(7)} B  ${site}`);
}
console.log(`${(total / count).toFixed(0).padStart(7)} B  allocated in all, per connection (${variant}, N = ${count}; sampled)`);

await session[Symbol.asyncDispose]();
await server.stop();
