/**
 * The jobs gradscope runs on the pool: one probe at init, one training run. Each is seeded by
 * its config alone, so it gives the same numbers in any thread.
 */
import type { ProbeConfig, TrainConfig } from "../config.ts";
import { type Dataset, type DatasetName, loadDatasetAsync } from "../datasets/index.ts";
import { type ProbeResult, runProbe } from "../probe-run.ts";
import type { TrainRecord, TrainSummary } from "../train/recorder.ts";
import { datasetOptions, type ResolvedTrainConfig } from "../train/train-config.ts";
import { train } from "../train/trainer.ts";
import { defineTask, type JobContext } from "./task.ts";

export function probeJob(config: ProbeConfig): ProbeResult {
  return runProbe(config);
}

/** A probe of one configuration at initialization. */
export const PROBE_TASK = defineTask<ProbeConfig, ProbeResult>(import.meta.url, "probeJob");

export interface TrainJob {
  config: TrainConfig;
  /** Write the run here (config.json, metrics.jsonl, summary.json), or null. */
  runDir: string | null;
}

/** A TrainResult without the network, which cannot leave its thread. */
export interface TrainRun {
  config: ResolvedTrainConfig;
  summary: TrainSummary;
  records: TrainRecord[];
  runDir: string | null;
}

// The last dataset loaded in this thread: a comparison's variants usually share it.
let cached: { key: string; data: Promise<Dataset> } | undefined;

/**
 * The dataset of `config`, loaded once per thread while consecutive jobs ask for the same one
 * (for other task functions too, e.g. a doctor remedy run).
 */
export function threadDataset(config: TrainConfig): Promise<Dataset> {
  const name = config.dataset as DatasetName;
  const key = JSON.stringify([name, datasetOptions(config)]);
  if (cached?.key !== key) {
    const data = loadDatasetAsync(name, datasetOptions(config));
    // a failed load is that job's error, and is not kept for the next one
    data.catch(() => {
      if (cached?.key === key) cached = undefined;
    });
    cached = { key, data };
  }
  return cached.data;
}

export async function trainJob(job: TrainJob, context: JobContext): Promise<TrainRun> {
  const result = await train(job.config, {
    dataset: await threadDataset(job.config),
    ...(job.runDir ? { runDir: job.runDir } : {}),
    signal: context.signal,
  });
  return {
    config: result.config,
    summary: result.summary,
    records: result.records,
    runDir: result.runDir,
  };
}

/** A training run of one configuration (records kept, network dropped). */
export const TRAIN_TASK = defineTask<TrainJob, TrainRun>(import.meta.url, "trainJob");
