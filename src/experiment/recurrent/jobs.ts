import { defineTask, type JobContext } from "../pool/task.ts";
import type { RecurrentConfig } from "./config.ts";
import { type RecurrentProbeResult, runRecurrentProbe } from "./probe.ts";
import { createSequenceTask, type SequenceTaskName, type SequenceTaskOptions } from "./tasks.ts";
import {
  type RecurrentTrainConfig,
  type RecurrentTrainResult,
  trainRecurrent,
} from "./train-recurrent.ts";

/** A recurrent probe as a worker-pool job (compare/doctor sweeps over recurrent configs). */
export function recurrentProbeJob(config: RecurrentConfig): RecurrentProbeResult {
  return runRecurrentProbe(config);
}

export const RECURRENT_PROBE_TASK = defineTask<RecurrentConfig, RecurrentProbeResult>(
  import.meta.url,
  "recurrentProbeJob",
);

/** A training run as plain data: the task travels by name, since a task object has methods. */
export interface RecurrentTrainJob {
  config: RecurrentTrainConfig;
  task: SequenceTaskName;
  taskOptions: SequenceTaskOptions;
}

/**
 * One training run in a worker: builds the task (digits loads MNIST in the worker), trains,
 * and stops early when the sweep is aborted (the result then holds the steps so far).
 */
export async function recurrentTrainJob(
  job: RecurrentTrainJob,
  context: JobContext,
): Promise<RecurrentTrainResult> {
  const task = await createSequenceTask(job.task, { dtype: job.config.dtype, ...job.taskOptions });
  return trainRecurrent(job.config, task, {
    onStep: () => (context.signal.aborted ? "stop" : undefined),
  });
}

export const RECURRENT_TRAIN_TASK = defineTask<RecurrentTrainJob, RecurrentTrainResult>(
  import.meta.url,
  "recurrentTrainJob",
);
