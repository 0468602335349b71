/** Every benchmark, by name (run.ts runs them; fresh-process.ts runs one variant of one). */
import { awaitedWrites } from './awaited-writes.js';
import { bulkReceive, tlsBulkReceive } from './bulk-receive.js';
import { bulkSend } from './bulk-send.js';
import type { Benchmark } from './harness.js';
import { lines } from './lines.js';
import { manyTasks } from './many-tasks.js';
import { pingPong, tlsPingPong } from './ping-pong.js';
import { redisIncr } from './redis-incr.js';
import { slowReader } from './slow-reader.js';
import { smallWrites } from './small-writes.js';
import { socks5Connect } from './socks5-connect.js';

export const ALL: Benchmark[] = [bulkReceive, bulkSend, pingPong, smallWrites, awaitedWrites, lines, redisIncr, manyTasks, slowReader, tlsBulkReceive, tlsPingPong, socks5Connect];
