import { describe, expect, it } from "vitest";
import { gemmBackend } from "../../core/kernels/gemm.ts";
import { loadNativeKernels } from "../../native/native-kernels.ts";
import { resolveProbeConfig } from "../config.ts";
import { toJson } from "../json-numbers.ts";
import { defineTask, type JobResult, runJobs } from "./index.ts";
import { PROBE_TASK } from "./tasks.ts";

// A separate file from pool.test.ts: registering the addon is process-wide for this file.
const native = loadNativeKernels();
const fixtures = new URL("../../../test/fixtures/pool-tasks.ts", import.meta.url).href;
const backend = defineTask<null, string>(fixtures, "backend");

function values<O>(results: JobResult<O>[]): O[] {
  return results.map((r) => {
    if (!r.ok) throw new Error(`job failed: ${r.error.message}`);
    return r.value;
  });
}

describe.skipIf(!native.loaded)("worker pool with the native addon", () => {
  it("workers load the parent's native kernels, and sweeps match bit for bit", async () => {
    expect(gemmBackend()).toMatch(/^native /);
    const inWorkers = values(await runJobs(backend, [null, null], { jobs: 2 }));
    expect(inWorkers).toEqual([gemmBackend(), gemmBackend()]);

    const configs = Array.from({ length: 6 }, (_, i) =>
      resolveProbeConfig({
        depth: 6 + i,
        width: 48,
        batch: 32,
        activation: i % 2 ? "tanh" : "sigmoid",
        dtype: "f32",
        seed: 7 + i,
      }),
    );
    const one = values(await runJobs(PROBE_TASK, configs, { jobs: 1 }));
    const two = values(await runJobs(PROBE_TASK, configs, { jobs: 2 }));
    expect(new Set(two.map((r) => r.summary.loss)).size).toBe(configs.length);
    expect(toJson(two)).toBe(toJson(one));
  }, 120_000);
});
