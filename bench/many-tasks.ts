/**
 * Many tasks: N connections at once, each doing one 64-byte round trip, then held open and idle
 * while memory is measured. Reports tasks per second and memory (RSS, and heap) per open connection,
 * for N = 500 and 5,000: raw sockets (bare, and as a client keeps them), promise-socket and tasks.
 */
import v8 from 'node:v8';
import PromiseSocket from 'promise-socket';
import { Session, type StreamTask } from 'streamtask';
import { destroyAll, echoRequest, echoRoundTrip, keepAsAClient, rawSocket } from './clients.js';
import { extraAgainst, type Benchmark, type Result, type Sample, type Server, type Variant } from './harness.js';

type MemoryKey = 'rssBytesPerConnection' | 'heapBytesPerConnection' | 'youngGenerationBytesPerConnection';

const MESSAGE = Buffer.alloc(64, 0x6d);
/** Connections opened at once: the server's accept backlog is bounded (somaxconn). */
const WAVE = 500;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * Heap and external memory in use after a full collection (what the connections themselves
 * hold), the RSS, and the young generation's committed size: most of the RSS per connection is
 * that generation grown while they opened (V8 grows it with the bytes that survive scavenges).
 */
function memoryInUse(): { heap: number; rss: number; young: number } {
  gc();
  gc();
  const usage = process.memoryUsage();
  const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0;
  return { heap: usage.heapUsed + usage.external + usage.arrayBuffers, rss: usage.rss, young };
}

async function inWaves<T>(count: number, open: () => Promise<T>): Promise<T[]> {
  const all: T[] = [];
  for (let start = 0; start < count; start += WAVE) {
    all.push(...await Promise.all(Array.from({ length: Math.min(WAVE, count - start) }, open)));
  }
  return all;
}

async function measure<T>(count: number, open: () => Promise<T>, close: (all: T[]) => Promise<void>): Promise<Sample> {
  // One wave opened and closed first, so that what is paid once per process (code compiled,
  // pools, Node's handle caches) is not counted per connection.
  await close(await inWaves(WAVE, open));
  const before = memoryInUse();
  const started = process.hrtime.bigint();
  const all = await inWaves(count, open);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const after = memoryInUse();
  await close(all);
  return {
    seconds,
    work: count,
    extra: {
      heapBytesPerConnection: (after.heap - before.heap) / count,
      rssBytesPerConnection: (after.rss - before.rss) / count,
      youngGenerationBytesPerConnection: (after.young - before.young) / count,
    },
  };
}

/**
 * The target's baseline: a bare socket, with one shared 'error' listener and nothing else of ours
 * (rawSocket leaves nothing of its connect wait on it; until 2026-12-02 it left a listener, a
 * closure and a promise, about 300 B, which made the task's ratio look 0.4 better than it is).
 */
function rawVariant(count: number): Variant {
  return {
    name: `net.Socket × ${count}`,
    run: (server: Server) => measure(count, async () => {
      const socket = await rawSocket(server.tcpPort);
      await echoRoundTrip(socket, MESSAGE);
      return socket;
    }, destroyAll),
  };
}

/**
 * A raw socket as a protocol client keeps it open (see keepAsAClient). Not the target's baseline
 * (that is the bare socket above); it shows what of a task's memory any client pays.
 */
function rawClientVariant(count: number): Variant {
  return {
    name: `net.Socket, as a client keeps it × ${count}`,
    run: (server: Server) => measure(count, async () => {
      const socket = await rawSocket(server.tcpPort);
      await echoRoundTrip(socket, MESSAGE);
      keepAsAClient(socket);
      return socket;
    }, destroyAll),
  };
}

/** The promise wrapper a user might pick instead: one round trip through it, then kept open. */
function promiseSocketVariant(count: number): Variant {
  const request = echoRequest(MESSAGE);
  return {
    name: `promise-socket × ${count}`,
    run: (server: Server) => measure(count, async () => {
      const socket = new PromiseSocket(await rawSocket(server.tcpPort));
      await socket.write(request);
      for (let got = 0; got < MESSAGE.length;) got += (await socket.read(MESSAGE.length - got))!.length;
      return socket;
    }, async (sockets) => {
      await destroyAll(sockets.map((socket) => socket.stream));
    }),
  };
}

function taskVariant(count: number): Variant {
  return {
    name: `StreamTask × ${count}`,
    run: async (server: Server) => {
      const session = new Session();
      try {
        return await measure(count, async (): Promise<StreamTask> => {
          const task = await session.connect('127.0.0.1', server.tcpPort);
          await task.write(echoRequest(MESSAGE));
          await task.readExactly(MESSAGE.length);
          return task;
        }, async (tasks) => {
          for (const task of tasks) task.cancel();
          await Promise.all(tasks.map((task) => task.closed.catch(() => {})));
        });
      } finally {
        await session[Symbol.asyncDispose]();
      }
    },
  };
}

const LARGE = Number(process.env.BENCH_TASKS ?? 5_000);
const SMALL = Math.round(LARGE / 10);

export const manyTasks: Benchmark = {
  name: 'many-tasks',
  description: `${SMALL} and ${LARGE} concurrent connections, one round trip each, then idle`,
  unit: { label: 'connections/s', scale: 1 },
  // The young generation's growth varies from process to process: a median of seven, not three.
  rounds: 7,
  baseline: `net.Socket × ${LARGE}`,
  targets: {},
  variants: [rawVariant(SMALL), taskVariant(SMALL), rawVariant(LARGE), rawClientVariant(LARGE), promiseSocketVariant(LARGE), taskVariant(LARGE)],
  checks: (results) => {
    const named = (name: string): Result => results.find((r) => r.variant === name)!;
    const per = (name: string, key: MemoryKey): number => named(name).extra![key]!;
    const task = `StreamTask × ${LARGE}`;
    const raw = `net.Socket × ${LARGE}`;
    const promiseSocket = `promise-socket × ${LARGE}`;
    const rss = per(task, 'rssBytesPerConnection') / per(raw, 'rssBytesPerConnection');
    // Against promise-socket round by round: both run once a round, minutes apart at most, and
    // the young generation's growth (most of the RSS per connection) differs from process to process.
    const rssPromiseSocket = extraAgainst(named(task), named(promiseSocket), 'rssBytesPerConnection');
    const outsideYoung = (name: string): number => per(name, 'rssBytesPerConnection') - per(name, 'youngGenerationBytesPerConnection');
    return [{
      what: `RSS per open idle task ÷ per bare socket (N = ${LARGE})`,
      value: rss,
      target: '≤ 1.2',
      met: rss <= 1.2,
    }, {
      what: `RSS per open idle task ÷ per promise-socket, round by round (N = ${LARGE})`,
      value: rssPromiseSocket,
      target: '≤ 1',
      met: rssPromiseSocket <= 1,
    }, {
      what: `RSS outside the young generation per task ÷ per promise-socket (N = ${LARGE}; context)`,
      value: outsideYoung(task) / outsideYoung(promiseSocket),
      target: '',
      met: true,
    }, {
      what: `heap per open idle task ÷ per bare socket (N = ${LARGE}; context)`,
      value: per(task, 'heapBytesPerConnection') / per(raw, 'heapBytesPerConnection'),
      target: '',
      met: true,
    }];
  },
};
