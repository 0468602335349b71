/**
 * What every benchmark shares: the load server in its own process, rounds that rotate the order of
 * the variants (so none always runs first, on a cold or warm machine), medians, and ratios against
 * the raw-socket baseline measured in the same run, paired round by round.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Server {
  tcpPort: number;
  tlsPort: number;
  /** The certificate the TLS port presents (CN and SAN localhost), for `ca`. */
  ca: string;
  stop(): Promise<void>;
}

/** Starts bench/server.js in a child process, with a certificate made for this run. */
export async function startServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'streamtask-bench-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  const script = fileURLToPath(new URL('./server.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, join(dir, 'key.pem'), join(dir, 'cert.pem')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<string>((resolve) => lines.once('line', resolve));
  lines.close();
  const [, tcp, tlsPort] = ready.split(' ');
  const { readFileSync } = await import('node:fs');
  const ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  return {
    tcpPort: Number(tcp),
    tlsPort: Number(tlsPort),
    ca,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One measured run of a variant: how long, and how much work. */
export interface Sample {
  seconds: number;
  /** Units of work done (bytes, round trips, tasks). */
  work: number;
  /** Anything else worth reporting (bytes of memory, …). */
  extra?: Record<string, number>;
}

export interface Variant {
  name: string;
  run: (server: Server) => Promise<Sample>;
}

export interface Benchmark {
  name: string;
  description: string;
  /** How a rate is shown: work units per second, scaled. */
  unit: { label: string; scale: number };
  rounds: number;
  /** The variant every ratio is against (raw net.Socket). */
  baseline: string;
  /**
   * How a variant is paired with the baseline. 'round' (the default): the baseline runs once a
   * round, and each variant is compared with that run. 'adjacent': the baseline runs before the
   * first variant and after every variant, and each variant is compared with the geometric mean
   * of the baseline runs just before and after it, a second or two apart instead of up to a
   * round: for benchmarks whose rate drifts within a round (TLS on this VM).
   */
  pairing?: 'round' | 'adjacent';
  variants: Variant[];
  /** Ratio targets for our variants (ours ÷ baseline must be at least this). */
  targets: Record<string, number>;
  /** Other variants ours must beat, by name. */
  ahead?: Record<string, string[]>;
  /** Targets that are not rate ratios (memory), judged from the results. */
  checks?: (results: Result[]) => Check[];
}

export interface Check {
  what: string;
  value: number;
  /** Empty for a figure shown for context, with no target. */
  target: string;
  met: boolean;
}

export interface Result {
  benchmark: string;
  variant: string;
  medianRate: number;
  unit: string;
  rates: number[];
  ratio: number | null;
  target: number | null;
  meetsTarget: boolean | null;
  extra?: Record<string, number>;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Runs every variant `rounds` times, rotating which goes first, and reports medians and paired ratios. */
export async function runBenchmark(benchmark: Benchmark, server: Server, log: (line: string) => void): Promise<Result[]> {
  const rates = new Map<string, number[]>(benchmark.variants.map((variant) => [variant.name, []]));
  /** For each variant and round, the baseline rate it is paired with. */
  const references = new Map<string, number[]>(benchmark.variants.map((variant) => [variant.name, []]));
  const extras = new Map<string, Record<string, number>[]>();
  const measure = async (variant: Variant): Promise<number> => {
    const sample = await bounded(variant, server);
    const rate = sample.work / sample.seconds;
    rates.get(variant.name)!.push(rate);
    if (sample.extra !== undefined) extras.set(variant.name, [...(extras.get(variant.name) ?? []), sample.extra]);
    // No forced full collection between variants: it let the maps of the objects a run made die,
    // and V8 then threw away the optimized code that depended on them, so every timed run began
    // by compiling its code again, a cost that grows with the variant's code (docs/performance.md).
    return rate;
  };
  const baselineVariant = benchmark.variants.find((variant) => variant.name === benchmark.baseline)!;
  const others = benchmark.variants.filter((variant) => variant !== baselineVariant);
  // One round first that counts for nothing: JIT and socket buffers warm up for every variant.
  for (const variant of benchmark.variants) await bounded(variant, server);
  for (let round = 0; round < benchmark.rounds; round++) {
    if (benchmark.pairing === 'adjacent') {
      const order = others.map((_, i) => others[(i + round) % others.length]!);
      let before = await measure(baselineVariant);
      for (const variant of order) {
        await measure(variant);
        const after = await measure(baselineVariant);
        references.get(variant.name)!.push(Math.sqrt(before * after));
        before = after;
      }
    } else {
      const order = benchmark.variants.map((_, i) => benchmark.variants[(i + round) % benchmark.variants.length]!);
      const roundRates = new Map<string, number>();
      for (const variant of order) roundRates.set(variant.name, await measure(variant));
      for (const variant of others) references.get(variant.name)!.push(roundRates.get(benchmark.baseline)!);
    }
    log(`  ${benchmark.name}: round ${round + 1}/${benchmark.rounds} done`);
  }
  // Paired: each round's rate against the baseline it is paired with (seconds apart), then the
  // median of those. The machine's speed drifts over minutes; a ratio of medians would carry the
  // drift between rounds into the ratio, a paired ratio cancels it.
  const pairedRatios = (name: string): number[] =>
    name === benchmark.baseline ? rates.get(name)!.map(() => 1) : rates.get(name)!.map((rate, i) => rate / references.get(name)![i]!);
  return benchmark.variants.map((variant) => {
    const list = rates.get(variant.name)!;
    const rate = median(list);
    const target = benchmark.targets[variant.name] ?? null;
    const ratios = pairedRatios(variant.name);
    const ratio = median(ratios);
    // Ahead of another variant, paired the same way: the median over rounds of ours ÷ theirs,
    // each against its own baseline.
    const behind = (benchmark.ahead?.[variant.name] ?? []).filter((other) => {
      const theirs = pairedRatios(other);
      return median(ratios.map((r, i) => r / theirs[i]!)) < 1;
    });
    const extraList = extras.get(variant.name);
    const result: Result = {
      benchmark: benchmark.name,
      variant: variant.name,
      medianRate: rate / benchmark.unit.scale,
      unit: benchmark.unit.label,
      rates: list.map((r) => r / benchmark.unit.scale),
      ratio,
      target,
      meetsTarget: target === null && behind.length === 0 ? null : (target === null || ratio >= target) && behind.length === 0,
    };
    if (extraList !== undefined) {
      result.extra = Object.fromEntries(Object.keys(extraList[0]!).map((key) => [key, median(extraList.map((e) => e[key]!))]));
    }
    return result;
  });
}

/** A variant that hangs fails the run instead of stalling it. */
async function bounded(variant: Variant, server: Server): Promise<Sample> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${variant.name}: no result within ${VARIANT_LIMIT_MS / 1000} s`)), VARIANT_LIMIT_MS);
  });
  try {
    return await Promise.race([variant.run(server), limit]);
  } finally {
    clearTimeout(timer);
  }
}

const VARIANT_LIMIT_MS = 120_000;

/**
 * Elapsed seconds of `work`, and this process's CPU time (user + system) in nanoseconds per
 * `cpuPer` units of work (`cpuNs`): what the client itself spent, whatever the loopback's speed
 * was at the time (the load server runs in another process, so its CPU is not counted).
 */
export async function timed(work: () => Promise<number>, cpuPer = 1): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const units = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, work: units, extra: { cpuNs: ((used.user + used.system) * 1000 * cpuPer) / units } };
}
