import { describe, expect, it } from "vitest";
import { runJobs } from "../pool/pool.ts";
import { resolveRecurrentConfig } from "./config.ts";
import { RECURRENT_PROBE_TASK, RECURRENT_TRAIN_TASK, type RecurrentTrainJob } from "./jobs.ts";
import { DEFAULT_RECURRENT_TRAIN } from "./train-recurrent.ts";

describe("recurrent pool jobs", () => {
  it("probe and training jobs give the same numbers in a worker as in-process", async () => {
    const configs = (["rnn", "lstm", "gru"] as const).map((arch) =>
      resolveRecurrentConfig({ arch, seqLen: 10, width: 8, batch: 4 }),
    );
    const local = await runJobs(RECURRENT_PROBE_TASK, configs, { jobs: 1 });
    const pooled = await runJobs(RECURRENT_PROBE_TASK, configs, { jobs: 2 });
    expect(pooled).toEqual(local);
    expect(local.every((r) => r.ok)).toBe(true);

    const job: RecurrentTrainJob = {
      config: { ...DEFAULT_RECURRENT_TRAIN, arch: "gru", width: 8, steps: 5, testSize: 32 },
      task: "adding",
      taskOptions: { seqLen: 10 },
    };
    const [a] = await runJobs(RECURRENT_TRAIN_TASK, [job], { jobs: 1 });
    // two inputs, so the pool really starts workers
    const [b] = await runJobs(RECURRENT_TRAIN_TASK, [job, job], { jobs: 2 });
    expect(a!.ok && b!.ok).toBe(true);
    if (a!.ok && b!.ok) expect(b!.value.losses).toEqual(a!.value.losses);
  }, 120_000);
});
