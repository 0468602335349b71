/**
 * What every benchmark shares: the load server in its own process, each variant run in a process
 * of its own, rounds that rotate the order of the variants, and ratios against the raw-socket
 * baseline runs just before and after each variant, for the rate and for the client's CPU.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
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

/** One measured run of a variant: how long, how much work, and the client's CPU meanwhile. */
export interface Sample {
  seconds: number;
  /** Units of work done (bytes, round trips, tasks). */
  work: number;
  /** CPU time (user + system) the client process spent on the work, in seconds. */
  cpuSeconds?: number;
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
  /** How CPU is shown: microseconds per `per` units of work (per 64 KiB, per round trip). */
  cpu?: { label: string; per: number };
  rounds: number;
  /** The variant every ratio is against (raw net.Socket). */
  baseline: string;
  variants: Variant[];
  /** Ratio targets for our variants (ours ÷ baseline must be at least this). */
  targets: Record<string, number>;
  /** Other variants ours must beat, by name. */
  ahead?: Record<string, string[]>;
  /** Starts what the variants need besides the load server (a redis-server), or says why it is skipped. */
  setup?: () => Promise<Setup>;
  /** Targets that are not rate ratios (memory, CPU against a floor), judged from the results. */
  checks?: (results: Result[]) => Check[];
}

/** What a benchmark's setup started (its variants find it in `env`), or why the benchmark is skipped. */
export type Setup = { env: Record<string, string>; stop(): Promise<void> } | { skip: string };

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
  /** Median over rounds of rate ÷ the baseline runs beside it (geometric mean of before and after). */
  ratio: number | null;
  /** Median client CPU per `cpu.per` units, in µs (null where the variant does not report it). */
  cpuMicros: number | null;
  /** Each round's client CPU per `cpu.per` units, in µs, in the order run (null as cpuMicros). */
  cpus: number[] | null;
  /** Median over rounds of CPU per unit ÷ the baseline's beside it: below 1 is cheaper. */
  cpuRatio: number | null;
  target: number | null;
  meetsTarget: boolean | null;
  extra?: Record<string, number>;
  /** Each round's extra figures, in the order run. */
  extras?: Record<string, number>[];
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * One variant's client CPU against another's, round by round: the median over rounds of A's CPU
 * per unit ÷ B's in the same round (both fresh processes, run within the same minute or two).
 * Not the ratio of their ratios to the baseline: that carries the baseline's own spread twice
 * (raw `'data'` events spread 19-69 µs per 64 KiB across one run, our reads 18-26).
 */
export function cpuAgainst(a: Result, b: Result): number {
  if (a.cpus === null || b.cpus === null) return NaN;
  if (a.cpus.length !== b.cpus.length) throw new Error(`${a.benchmark}: ${a.variant} against the baseline is its cpuRatio`);
  return roundByRound(a.cpus, b.cpus);
}

/** One extra figure of A against B's, round by round (as cpuAgainst). */
export function extraAgainst(a: Result, b: Result, key: string): number {
  const mine = a.extras?.map((extra) => extra[key]!);
  const theirs = b.extras?.map((extra) => extra[key]!);
  if (mine === undefined || theirs === undefined || mine.length !== theirs.length) throw new Error(`${a.benchmark}: no ${key} of ${a.variant} and ${b.variant} round by round`);
  return roundByRound(mine, theirs);
}

/** The median over rounds of a[i] ÷ b[i]. */
const roundByRound = (a: readonly number[], b: readonly number[]): number => median(a.map((value, i) => value / b[i]!));

/** Runs one variant once, somewhere. */
export type RunVariant = (benchmark: Benchmark, variant: Variant) => Promise<Sample>;

/** Runs one variant once in a fresh node process (fresh-process.ts), against `server`. */
export function inFreshProcess(server: Server, extraEnv: Record<string, string> = {}): RunVariant {
  const script = fileURLToPath(new URL('./fresh-process.js', import.meta.url));
  const env = { ...process.env, ...extraEnv, BENCH_SERVER: JSON.stringify({ tcpPort: server.tcpPort, tlsPort: server.tlsPort, ca: server.ca }) };
  return (benchmark, variant) => new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', script, benchmark.name, variant.name], { env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('SAMPLE '));
        if (error !== null || line === undefined) {
          reject(new Error(`${benchmark.name} / ${variant.name} failed: ${error?.message ?? 'no sample'}\n${stderr}`));
          return;
        }
        resolve(JSON.parse(line.slice('SAMPLE '.length)) as Sample);
      });
  });
}

/**
 * Runs every variant `rounds` times, each next to the baseline: baseline, A, baseline, B, baseline,
 * …, the order of A, B, … rotated every round so none always runs first. Each variant's rate and
 * CPU are compared with the geometric mean of the baseline runs just before and after it, seconds
 * apart: the machine's speed drifts over minutes, and a ratio of medians would carry that drift.
 */
export async function runBenchmark(benchmark: Benchmark, run: RunVariant, log: (line: string) => void): Promise<Result[]> {
  interface Measured { rate: number; cpu: number | null; extra?: Record<string, number> }
  const runs = new Map<string, Measured[]>(benchmark.variants.map((variant) => [variant.name, []]));
  // Two variants of one name would share their runs, and each would count twice.
  if (runs.size !== benchmark.variants.length) throw new Error(`${benchmark.name}: two variants have the same name`);
  /** For each variant and round, the baseline it is paired with. */
  const references = new Map<string, Measured[]>(benchmark.variants.map((variant) => [variant.name, []]));
  const per = benchmark.cpu?.per ?? 1;
  const measure = async (variant: Variant): Promise<Measured> => {
    const sample = await run(benchmark, variant);
    const measured: Measured = {
      rate: sample.work / sample.seconds,
      cpu: sample.cpuSeconds === undefined ? null : (sample.cpuSeconds * 1e6 * per) / sample.work,
      ...(sample.extra === undefined ? {} : { extra: sample.extra }),
    };
    runs.get(variant.name)!.push(measured);
    return measured;
  };
  const baselineVariant = benchmark.variants.find((variant) => variant.name === benchmark.baseline)!;
  const others = benchmark.variants.filter((variant) => variant !== baselineVariant);
  const geometric = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.sqrt(a * b));
  for (let round = 0; round < benchmark.rounds; round++) {
    const order = others.map((_, i) => others[(i + round) % others.length]!);
    let before = await measure(baselineVariant);
    for (const variant of order) {
      await measure(variant);
      const after = await measure(baselineVariant);
      references.get(variant.name)!.push({ rate: Math.sqrt(before.rate * after.rate), cpu: geometric(before.cpu, after.cpu) });
      before = after;
    }
    log(`  ${benchmark.name}: round ${round + 1}/${benchmark.rounds} done`);
  }
  const paired = (name: string, pick: (m: Measured) => number | null): number[] | null => {
    const own = runs.get(name)!;
    if (name === benchmark.baseline) return own.every((m) => pick(m) !== null) ? own.map(() => 1) : null;
    const refs = references.get(name)!;
    const ratios = own.map((m, i) => {
      const mine = pick(m);
      const theirs = pick(refs[i]!);
      return mine === null || theirs === null ? null : mine / theirs;
    });
    return ratios.every((r) => r !== null) ? (ratios as number[]) : null;
  };
  return benchmark.variants.map((variant) => {
    const list = runs.get(variant.name)!;
    const target = benchmark.targets[variant.name] ?? null;
    const ratios = paired(variant.name, (m) => m.rate)!;
    const ratio = median(ratios);
    const cpuRatios = paired(variant.name, (m) => m.cpu);
    // Ahead of another variant: the median over rounds of ours ÷ theirs in the same round (see
    // cpuAgainst), by client CPU per unit (the figure of record) where both have it, else by rate.
    const behind = (benchmark.ahead?.[variant.name] ?? []).filter((other) => runs.has(other)).filter((other) => {
      const mine = runs.get(variant.name)!;
      const theirs = runs.get(other)!;
      if (mine.length !== theirs.length) throw new Error(`${benchmark.name}: ${variant.name} can be ahead of a variant, not of the baseline`);
      const myCpu = mine.map((m) => m.cpu);
      const theirCpu = theirs.map((m) => m.cpu);
      if (myCpu.every((c) => c !== null) && theirCpu.every((c) => c !== null)) return roundByRound(myCpu as number[], theirCpu as number[]) > 1;
      return roundByRound(mine.map((m) => m.rate), theirs.map((m) => m.rate)) < 1;
    });
    const cpus = list.map((m) => m.cpu);
    const result: Result = {
      benchmark: benchmark.name,
      variant: variant.name,
      medianRate: median(list.map((m) => m.rate)) / benchmark.unit.scale,
      unit: benchmark.unit.label,
      rates: list.map((m) => m.rate / benchmark.unit.scale),
      ratio,
      cpuMicros: cpus.every((c) => c !== null) ? median(cpus as number[]) : null,
      cpus: cpus.every((c) => c !== null) ? (cpus as number[]) : null,
      cpuRatio: cpuRatios === null ? null : median(cpuRatios),
      target,
      meetsTarget: target === null && behind.length === 0 ? null : (target === null || ratio >= target) && behind.length === 0,
    };
    const extras = list.flatMap((m) => (m.extra === undefined ? [] : [m.extra]));
    if (extras.length > 0) {
      result.extra = Object.fromEntries(Object.keys(extras[0]!).map((key) => [key, median(extras.map((e) => e[key]!))]));
      result.extras = extras;
    }
    return result;
  });
}

/** A variant that hangs fails the run instead of stalling it. */
export async function bounded(variant: Variant, server: Server): Promise<Sample> {
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
 * Elapsed seconds of `work`, and this process's CPU time (user + system) meanwhile: what the
 * client itself spent, whatever the loopback's speed was at the time (the load server runs in
 * another process, so its CPU is not counted).
 */
export async function timed(work: () => Promise<number>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const units = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { seconds, work: units, cpuSeconds: (used.user + used.system) / 1e6 };
}
