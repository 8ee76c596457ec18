/**
 * The sweep benchmark of issue 8: 100 small probe configurations at initialization (depth
 * 5-20, width 16-64, batch 32, four activations; the same set as bench/run.ts), timed
 *   - in-process: a plain loop over runProbe (the baseline),
 *   - jobs 1: runJobs with one job (also in-process: the pool's own overhead),
 *   - jobs N cold: runJobs with N workers, worker start-up included (what one CLI sweep pays),
 *   - jobs N warm: the same batch on an already started WorkerPool (steady-state throughput).
 * Medians (min-max) of configurations per second over repeats, the load average around the
 * run (the machine may be shared), and a check that every pool result equals the in-process
 * result bit for bit.
 *
 *   npx tsx bench/sweep.ts [--repeats 5] [--jobs 2]
 *   import { benchSweepPool, formatSweepBench } from "./sweep.ts"   (from bench/run.ts)
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { type ProbeConfig, resolveProbeConfig } from "../src/experiment/config.ts";
import { toJson } from "../src/experiment/json-numbers.ts";
import { type JobResult, runJobs, WorkerPool } from "../src/experiment/pool/index.ts";
import { PROBE_TASK } from "../src/experiment/pool/tasks.ts";
import { runProbe } from "../src/experiment/probe-run.ts";

export interface RateStat {
  median: number;
  min: number;
  max: number;
}

export interface SweepBench {
  configs: number;
  repeats: number;
  workers: number;
  /** configurations per second */
  inProcess: RateStat;
  jobs1: RateStat;
  cold: RateStat;
  warm: RateStat;
  /** Every pool result equals the in-process one (JSON text, so bit for bit). */
  identical: boolean;
  /** 1-minute load average before and after (2 cores: above 2 means others share them). */
  load: [number, number];
}

/** The 100 small configurations (seeded 1..n). */
export function sweepConfigs(n = 100): ProbeConfig[] {
  const acts = ["tanh", "relu", "sigmoid", "gelu"];
  return Array.from({ length: n }, (_, i) =>
    resolveProbeConfig({
      depth: 5 + (i % 4) * 5,
      width: [16, 32, 64][i % 3],
      batch: 32,
      activation: acts[i % acts.length],
      seed: i + 1,
    }),
  );
}

function stat(xs: number[]): RateStat {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

async function rate(n: number, run: () => unknown): Promise<number> {
  const t0 = performance.now();
  await run();
  return (n * 1000) / (performance.now() - t0);
}

function values<O>(results: JobResult<O>[]): O[] {
  return results.map((r) => {
    if (!r.ok) throw new Error(`sweep job failed: ${r.error.message}`);
    return r.value;
  });
}

export async function benchSweepPool(
  options: { configs?: number; repeats?: number; jobs?: number } = {},
): Promise<SweepBench> {
  const n = options.configs ?? 100;
  const repeats = options.repeats ?? 5;
  const workers = options.jobs ?? 2;
  const configs = sweepConfigs(n);
  const load0 = loadavg()[0]!;
  const reference = toJson(configs.map((c) => runProbe(c))); // also warms this thread's JIT
  let identical = true;
  const check = (results: JobResult<unknown>[]): void => {
    identical &&= toJson(values(results)) === reference;
  };
  const inProcess: number[] = [];
  const jobs1: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  const pool = new WorkerPool(workers);
  try {
    await pool.ready();
    check(await pool.run(PROBE_TASK, configs)); // warm-up: loads the modules, JITs the kernels
    // interleaved, so a burst of load from elsewhere hits every variant alike
    for (let r = 0; r < repeats; r++) {
      inProcess.push(await rate(n, () => configs.map((c) => runProbe(c))));
      jobs1.push(await rate(n, async () => check(await runJobs(PROBE_TASK, configs, { jobs: 1 }))));
      cold.push(
        await rate(n, async () => check(await runJobs(PROBE_TASK, configs, { jobs: workers }))),
      );
      warm.push(await rate(n, async () => check(await pool.run(PROBE_TASK, configs))));
    }
  } finally {
    await pool.close();
  }
  return {
    configs: n,
    repeats,
    workers,
    inProcess: stat(inProcess),
    jobs1: stat(jobs1),
    cold: stat(cold),
    warm: stat(warm),
    identical,
    load: [load0, loadavg()[0]!],
  };
}

export function formatSweepBench(b: SweepBench): string {
  const f = (s: RateStat): string =>
    `${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)}) configs/s`;
  return [
    `sweep of ${b.configs} small probe configs, median (min-max) of ${b.repeats}; load average ${b.load[0].toFixed(1)} -> ${b.load[1].toFixed(1)}`,
    `  in-process loop          ${f(b.inProcess)}`,
    `  --jobs 1 (no workers)    ${f(b.jobs1)}`,
    `  --jobs ${b.workers} cold (start-up) ${f(b.cold)}`,
    `  --jobs ${b.workers} warm pool      ${f(b.warm)}`,
    `  results identical to in-process: ${b.identical ? "yes" : "NO"}`,
  ].join("\n");
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const b = await benchSweepPool({ repeats: flag("--repeats", 5), jobs: flag("--jobs", 2) });
  console.log(formatSweepBench(b));
}
