/**
 * One variant of one benchmark, once, in this fresh process: `node fresh-process.js BENCHMARK
 * VARIANT`, the load server's ports and certificate in BENCH_SERVER. Prints "SAMPLE <json>".
 * A fresh process per run, because a warm shared one flatters whoever runs last (its JIT, heap
 * and socket buffers were readied by the runs before).
 */
import { ALL } from './benchmarks.js';
import { bounded, type Server } from './harness.js';

const [benchmarkName, variantName] = process.argv.slice(2);
const benchmark = ALL.find((b) => b.name === benchmarkName);
const variant = benchmark?.variants.find((v) => v.name === variantName);
if (benchmark === undefined || variant === undefined) {
  console.error(`no variant ${JSON.stringify(variantName)} in benchmark ${JSON.stringify(benchmarkName)}`);
  process.exit(2);
}
const { tcpPort, tlsPort, ca } = JSON.parse(process.env.BENCH_SERVER ?? '{}') as Omit<Server, 'stop'>;
const sample = await bounded(variant, { tcpPort, tlsPort, ca, stop: async () => {} });
console.log(`SAMPLE ${JSON.stringify(sample)}`);
process.exit(0);
