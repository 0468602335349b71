/**
 * npm run bench            every benchmark
 * npm run bench -- NAME    one (or several) by name
 * BENCH_ONLY='BYOB|readData' npm run bench -- bulk-receive   only variants whose names hold one
 *                          of these (and the baseline); checks that need a left-out variant are skipped
 * Every run of every variant is a fresh process (fresh-process.ts); the load server is another.
 * Prints progress, then one table, then one JSON line per result (prefixed "RESULT ").
 */
import os from 'node:os';
import { ALL } from './benchmarks.js';
import { buildFloors } from './floors.js';
import { inFreshProcess, runBenchmark, startServer, type Benchmark, type Check, type Result } from './harness.js';

function table(results: Result[]): string {
  const rows = results.map((r) => [
    r.benchmark,
    r.variant,
    `${r.medianRate.toFixed(r.medianRate >= 100 ? 0 : 3)} ${r.unit}`,
    r.ratio === null ? '' : r.ratio.toFixed(2),
    r.cpuMicros === null ? '' : `${r.cpuMicros.toFixed(r.cpuMicros >= 100 ? 0 : 2)} ${ALL.find((b) => b.name === r.benchmark)?.cpu?.label ?? ''}`,
    r.cpuRatio === null ? '' : r.cpuRatio.toFixed(2),
    r.target === null ? '' : `≥ ${r.target.toFixed(2)}`,
    r.meetsTarget === null ? '' : r.meetsTarget ? 'yes' : 'NO',
    r.extra === undefined ? '' : Object.entries(r.extra).map(([k, v]) => `${k}=${Math.round(v)}`).join(' '),
  ]);
  const header = ['benchmark', 'variant', 'median', 'rate ÷ raw', 'client CPU', 'CPU ÷ raw', 'target', 'met', 'extra'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const wanted = process.argv.slice(2);
// More rounds for a steadier median (BENCH_ROUNDS=9 npm run bench -- bulk-receive).
const roundsOverride = process.env.BENCH_ROUNDS === undefined ? undefined : Number(process.env.BENCH_ROUNDS);
const only = process.env.BENCH_ONLY?.split('|') ?? null;
const narrowed = (benchmark: Benchmark): Benchmark => (only === null ? benchmark : {
  ...benchmark,
  variants: benchmark.variants.filter((v) => v.name === benchmark.baseline || only.some((part) => v.name.includes(part))),
});
const chosen = (wanted.length === 0 ? ALL : ALL.filter((b) => wanted.includes(b.name))).map(narrowed);
if (chosen.length === 0) {
  console.error(`no benchmark named ${wanted.join(', ')}; there are: ${ALL.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
console.log(buildFloors());
const server = await startServer();
const results: Result[] = [];
const checks: (Check & { benchmark: string })[] = [];
const started = Date.now();
try {
  for (const benchmark of chosen) {
    const setup = (await benchmark.setup?.()) ?? { env: {}, stop: async () => {} };
    if ('skip' in setup) {
      console.log(`${benchmark.name}: skipped: ${setup.skip}`);
      continue;
    }
    console.log(`${benchmark.name}: ${benchmark.description} (${roundsOverride ?? benchmark.rounds} rounds)`);
    let own: Result[];
    try {
      own = await runBenchmark(roundsOverride === undefined ? benchmark : { ...benchmark, rounds: roundsOverride },
        inFreshProcess(server, setup.env), (line) => console.log(line));
    } finally {
      await setup.stop();
    }
    results.push(...own);
    if (only === null || benchmark.checks === undefined) {
      checks.push(...(benchmark.checks?.(own) ?? []).map((check) => ({ benchmark: benchmark.name, ...check })));
    } else {
      console.log(`${benchmark.name}: checks skipped (BENCH_ONLY leaves variants out)`);
    }
  }
} finally {
  await server.stop();
}
console.log(`\n${table(results)}\n`);
for (const check of checks) {
  const verdict = check.target === '' ? '' : ` (target ${check.target}): ${check.met ? 'yes' : 'NO'}`;
  console.log(`${check.benchmark}: ${check.what} = ${check.value.toFixed(2)}${verdict}`);
}
console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all\n`);
for (const result of results) console.log(`RESULT ${JSON.stringify(result)}`);
for (const check of checks) console.log(`RESULT ${JSON.stringify(check)}`);
