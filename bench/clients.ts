/** Small client helpers the benchmarks share: raw sockets, and the Python asyncio peer. */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Sample } from './harness.js';

/** A raw net.Socket, connected, with TCP_NODELAY as our tasks have it. */
export async function rawSocket(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Runs bench/asyncio_peer.py with the given workload; it measures itself and prints JSON. */
export function asyncio(args: string[]): Promise<Sample> {
  const script = fileURLToPath(new URL('../../bench/asyncio_peer.py', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile('python3', [script, ...args], { maxBuffer: 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(error);
      resolve(JSON.parse(stdout) as Sample);
    });
  });
}

export const GiB = 1024 ** 3;
