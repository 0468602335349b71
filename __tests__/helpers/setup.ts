/**
 * Runs around every test file: a test file fails if it leaves a socket, server or timer open,
 * or if any promise rejection went unhandled while it ran.
 */
import { afterAll, beforeAll, expect } from '@jest/globals';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
let baseline: Map<string, number>;

const WATCHED = new Set(['TCPWRAP', 'TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'TLSWrap', 'TCPWrap', 'PipeWrap', 'ProcessWrap']);

function openResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) {
    if (WATCHED.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

beforeAll(() => {
  baseline = openResources();
  process.on('unhandledRejection', onUnhandled);
});

afterAll(async () => {
  // Handles close on the loop's next turns; give them a few, never a fixed sleep.
  let leaked: string[] = [];
  for (let turn = 0; turn < 20; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    const now = openResources();
    leaked = [...now].filter(([name, count]) => count > (baseline.get(name) ?? 0)).map(([name, count]) => `${name}×${count}`);
    if (leaked.length === 0) break;
  }
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
  expect(leaked).toEqual([]);
});
