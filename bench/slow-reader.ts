/**
 * Slow reader: the server sends 1 GiB to a task that reads nothing for 5 seconds. The task's buffer
 * must stay bounded (readBufferSize), the kernel's window holding the rest: peak RSS may rise above
 * the idle process by at most readBufferSize + 16 MiB. Then everything is read, to prove nothing was lost.
 */
import { GiB, MiB, withTask } from './clients.js';
import { type Benchmark } from './harness.js';

const SIZE = GiB;
const IDLE_MS = Number(process.env.BENCH_SLOW_READER_MS ?? 5000);
const READ_BUFFER_SIZE = MiB;
const ALLOWANCE = READ_BUFFER_SIZE + 16 * MiB;

export const slowReader: Benchmark = {
  name: 'slow-reader',
  description: `1 GiB sent to a task that reads nothing for ${IDLE_MS / 1000} s, then reads it all`,
  unit: { label: 'GiB/s after', scale: GiB },
  rounds: 1,
  baseline: 'task, readBufferSize 1 MiB',
  targets: {},
  variants: [{
    name: 'task, readBufferSize 1 MiB',
    run: (server) => withTask(server, false, async (task) => {
      (globalThis as { gc?: () => void }).gc?.();
      const idle = process.memoryUsage().rss;
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      await task.write(`SOURCE ${SIZE}\n`);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
      clearInterval(sampler);
      const started = process.hrtime.bigint();
      let total = 0;
      for await (const chunk of task) total += chunk.length;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (total !== SIZE) throw new Error(`slow reader got ${total} of ${SIZE} bytes`);
      return { seconds, work: total, extra: { peakRssOverIdleMiB: (peak - idle) / MiB, allowanceMiB: ALLOWANCE / MiB } };
    }),
  }],
  checks: (results) => {
    const over = results[0]!.extra!.peakRssOverIdleMiB!;
    return [{ what: 'peak RSS over idle while not reading (MiB)', value: over, target: `≤ ${ALLOWANCE / MiB}`, met: over <= ALLOWANCE / MiB }];
  },
};
