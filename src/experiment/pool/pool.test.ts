import { threadId } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { type ProbeConfig, resolveProbeConfig } from "../config.ts";
import { toJson } from "../json-numbers.ts";
import { defineTask, type JobResult, parseJobs, runJobs, WorkerPool } from "./index.ts";
import { PROBE_TASK } from "./tasks.ts";

const ACTS = ["tanh", "relu", "sigmoid", "gelu"];
const configs: ProbeConfig[] = Array.from({ length: 12 }, (_, i) =>
  resolveProbeConfig({
    depth: 4 + (i % 4) * 3,
    width: [16, 32, 48][i % 3],
    batch: 16,
    activation: ACTS[i % ACTS.length],
    seed: 100 + i,
  }),
);
const fixtures = new URL("../../../test/fixtures/pool-tasks.ts", import.meta.url).href;

function values<O>(results: JobResult<O>[]): O[] {
  return results.map((r) => {
    if (!r.ok) throw new Error(`job failed: ${r.error.message}`);
    return r.value;
  });
}

describe("worker pool", () => {
  it("gives the same probe sweep, bit for bit, with 1 and 2 jobs", async () => {
    const one = await runJobs(PROBE_TASK, configs, { jobs: 1 });
    const started: number[] = [];
    const two = await runJobs(PROBE_TASK, configs, {
      jobs: 2,
      onStart: (i) => started.push(i),
    });
    expect(started.sort((a, b) => a - b)).toEqual(configs.map((_, i) => i));
    const a = values(one);
    const b = values(two);
    // input order, and real, distinct measurements
    expect(b.map((r) => r.config.seed)).toEqual(configs.map((c) => c.seed));
    expect(b.map((r) => r.layers.length)).toEqual(configs.map((c) => c.depth));
    expect(new Set(b.map((r) => r.summary.loss)).size).toBe(configs.length);
    for (const r of b) expect(r.summary.firstToLastRatio).toBeGreaterThan(0);
    // deep equality (NaN-aware) and the JSON text, which prints every double exactly
    expect(b).toStrictEqual(a);
    expect(toJson(b)).toBe(toJson(a));
  }, 120_000);

  it("reports a failing job for that job alone", async () => {
    const bad = { ...configs[0]!, width: 200_000, depth: 200 };
    const inputs = [configs[1]!, bad, configs[2]!];
    const two = await runJobs(PROBE_TASK, inputs, { jobs: 2 });
    const one = await runJobs(PROBE_TASK, inputs, { jobs: 1 });
    for (const results of [one, two]) {
      expect(results.map((r) => r.ok)).toEqual([true, false, true]);
      const failed = results[1]!;
      expect(failed.ok ? null : failed.error.name).toBe("ConfigError");
      expect(failed.ok ? "" : failed.error.message).toMatch(/over the .* limit/);
    }
    expect(two[0]).toStrictEqual(one[0]);
    expect(two[2]).toStrictEqual(one[2]);
  }, 60_000);

  it("survives a worker that dies and a result that cannot be sent", async () => {
    const crash = defineTask<{ code: number }, never>(fixtures, "crash");
    const results = await runJobs(crash, [{ code: 3 }, { code: 4 }, { code: 5 }], { jobs: 2 });
    expect(results.map((r) => (r.ok ? "" : r.error.message))).toEqual([
      "worker exited with code 3",
      "worker exited with code 4",
      "worker exited with code 5",
    ]);
    // a pool whose workers died still runs the next batch, on replacements
    const pool = new WorkerPool(2);
    try {
      const died = await pool.run(crash, [{ code: 6 }, { code: 7 }]);
      expect(died.every((r) => !r.ok)).toBe(true);
      const [again] = values(await pool.run(PROBE_TASK, [configs[3]!]));
      const [here] = values(await runJobs(PROBE_TASK, [configs[3]!], { jobs: 1 }));
      expect(again).toStrictEqual(here);
    } finally {
      await pool.close();
    }
    const fn = defineTask<null, () => void>(fixtures, "returnsFunction");
    const [sent] = await runJobs(fn, [null, null], { jobs: 2 });
    expect(sent?.ok ? "" : sent?.error.name).toBe("DataCloneError");
    const missing = defineTask<null, number>(fixtures, "nope");
    const [none] = await runJobs(missing, [null], { jobs: 1 });
    expect(none?.ok ? "" : none?.error.message).toMatch(/nope is not a function/);
  }, 60_000);

  it("runs in worker threads, and stops on abort: running jobs see it, the rest never start", async () => {
    const wait = defineTask<{ ms: number }, { aborted: boolean; threadId: number }>(
      fixtures,
      "wait",
    );
    const controller = new AbortController();
    const started: number[] = [];
    const t0 = performance.now();
    const results = await runJobs(
      wait,
      Array.from({ length: 6 }, () => ({ ms: 20_000 })),
      {
        jobs: 2,
        signal: controller.signal,
        onStart: (i) => {
          started.push(i);
          if (started.length === 2) setTimeout(() => controller.abort(), 200);
        },
      },
    );
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(started).toEqual([0, 1]);
    const ran = values(results.slice(0, 2));
    expect(ran.map((r) => r.aborted)).toEqual([true, true]);
    expect(new Set(ran.map((r) => r.threadId)).size).toBe(2);
    expect(ran.map((r) => r.threadId)).not.toContain(threadId);
    expect(results.slice(2).map((r) => (r.ok ? "" : r.error.name))).toEqual(
      Array(4).fill("AbortError"),
    );
  }, 60_000);

  it("parses --jobs", () => {
    expect(parseJobs("2")).toBe(2);
    for (const bad of ["0", "1.5", "x", "65", ""]) {
      expect(() => parseJobs(bad), bad).toThrow(/--jobs must be a whole number from 1 to 64/);
    }
  });
});
