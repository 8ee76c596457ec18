import type { OptimizerName, Schedule } from "../../core/optim/index.ts";
import type { TrainConfig } from "../config.ts";
import type { Dataset, DatasetOptions } from "../datasets/index.ts";
import { DATASET_DEFAULTS } from "../datasets/synthetic-load.ts";

/** Default base learning rate per optimizer (used when `lr` is null). */
export const DEFAULT_LR: Readonly<Record<OptimizerName, number>> = {
  sgd: 0.1,
  momentum: 0.01,
  nesterov: 0.01,
  adam: 0.001,
  adamw: 0.001,
};

/**
 * A TrainConfig with every dataset- or optimizer-dependent default filled in: the loss from
 * the dataset's task, the learning rate and weight decay from the optimizer, the schedule's
 * step counts from `steps`, the data seed from `seed`, and the batch capped at the training
 * set. It is what a run writes to config.json, and feeding it back (`--config`) repeats the
 * run exactly. Fields that do not apply stay null (momentum for adam, warmupSteps unless the
 * schedule is warmup, ...).
 */
export interface ResolvedTrainConfig extends TrainConfig {
  loss: "mse" | "cross-entropy";
  lr: number;
  weightDecay: number;
  dataSeed: number;
}

/** The options `loadDataset` gets for this config. */
export function datasetOptions(config: TrainConfig): DatasetOptions {
  const o: DatasetOptions = {
    seed: config.dataSeed ?? config.seed,
    dtype: config.dtype,
    testFraction: config.testFraction,
  };
  if (config.samples !== null) o.samples = config.samples;
  if (config.noise !== null) o.noise = config.noise;
  if (config.classes !== null) o.classes = config.classes;
  if (config.csv !== null) o.csvPath = config.csv;
  if (config.labelColumn !== null) o.labelColumn = config.labelColumn;
  // a CSV trained with cross-entropy is read as classes: the loss says what the labels are
  if (config.task !== null) o.task = config.task;
  else if (config.dataset === "csv" && config.loss === "cross-entropy") o.task = "classification";
  return o;
}

/** Fill every null default of `config` that the dataset or the optimizer determines. */
export function completeTrainConfig(config: TrainConfig, dataset: Dataset): ResolvedTrainConfig {
  const loss = config.loss ?? (dataset.task === "classification" ? "cross-entropy" : "mse");
  const nTrain = dataset.trainX.rows;
  const out: ResolvedTrainConfig = {
    ...config,
    loss,
    lr: config.lr ?? DEFAULT_LR[config.optimizer],
    weightDecay: config.weightDecay ?? (config.optimizer === "adamw" ? 0.01 : 0),
    momentum:
      config.optimizer === "adam" || config.optimizer === "adamw"
        ? null
        : (config.momentum ?? (config.optimizer === "sgd" ? 0 : 0.9)),
    dataSeed: config.dataSeed ?? config.seed,
    batch: Math.min(config.batch, nTrain),
    warmupSteps:
      config.schedule === "warmup"
        ? (config.warmupSteps ?? Math.max(1, Math.round(config.steps / 10)))
        : config.warmupSteps,
    stepSize:
      config.schedule === "step"
        ? (config.stepSize ?? Math.max(1, Math.round(config.steps / 3)))
        : config.stepSize,
  };
  const synthetic = dataset.name !== "mnist" && dataset.name !== "csv";
  if (synthetic) {
    const name = dataset.name as keyof typeof DATASET_DEFAULTS.noise;
    out.samples = config.samples ?? DATASET_DEFAULTS.samples;
    out.noise = config.noise ?? DATASET_DEFAULTS.noise[name] ?? null;
    if (dataset.name === "spirals" || dataset.name === "blobs") {
      out.classes = config.classes ?? dataset.outputDim;
    }
  }
  return out;
}

/** The learning-rate schedule of a resolved config, as `learningRate` takes it. */
export function scheduleOf(config: ResolvedTrainConfig): Schedule {
  switch (config.schedule) {
    case "constant":
      return { kind: "constant" };
    case "step":
      return { kind: "step", stepSize: config.stepSize ?? 1, gamma: config.gamma };
    case "cosine":
      return { kind: "cosine", totalSteps: config.steps, minLr: config.minLr };
    case "warmup":
      return { kind: "warmup", warmupSteps: config.warmupSteps ?? 0 };
  }
}

/**
 * A short stable hash of a config (FNV-1a over its JSON without `out`), 8 hex digits: the
 * same config always gives the same name part, in Node and in the browser.
 */
export function configHash(config: TrainConfig): string {
  const { out: _out, ...rest } = config;
  const text = JSON.stringify(rest);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** The default run directory: runs/<yyyymmdd-hhmmss>-<config hash> (local time). */
export function defaultRunDir(config: TrainConfig, now: Date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  const stamp =
    `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}` +
    `-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `runs/${stamp}-${configHash(config)}`;
}
