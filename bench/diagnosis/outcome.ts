/**
 * The outcome of a training run under the labels' rule (labels.ts trainingRule): chance on the
 * test set, whether the run learned, and the long run of a config. Used by label-training.ts
 * and by run.ts's doctor section.
 */
import type { TrainConfig } from "../../src/experiment/config.ts";
import { type Dataset, loadDatasetAsync } from "../../src/experiment/datasets/index.ts";
import { datasetOptions } from "../../src/experiment/train/train-config.ts";
import { train } from "../../src/experiment/train/trainer.ts";
import {
  LEARN_ACCURACY_MARGIN,
  LEARN_LOSS_FRACTION,
  type RunOutcome,
  trainingRule,
} from "./labels.ts";

/** Chance on the test set: the majority class share, or the mean predictor's mse. */
export function chanceOf(data: Dataset): { accuracy: number | null; loss: number | null } {
  if (data.task === "classification") {
    const labels = data.labels!.test;
    const counts = new Map<number, number>();
    for (const c of labels) counts.set(c, (counts.get(c) ?? 0) + 1);
    return { accuracy: Math.max(...counts.values()) / labels.length, loss: null };
  }
  const k = data.trainY.cols;
  const mean = new Float64Array(k);
  for (let r = 0; r < data.trainY.rows; r++)
    for (let j = 0; j < k; j++) mean[j]! += data.trainY.data[r * k + j]!;
  for (let j = 0; j < k; j++) mean[j]! /= data.trainY.rows;
  let sum = 0;
  for (let r = 0; r < data.testY.rows; r++)
    for (let j = 0; j < k; j++) sum += (data.testY.data[r * k + j]! - mean[j]!) ** 2;
  return { accuracy: null, loss: sum / (data.testY.rows * k) };
}

/** Whether a run's test numbers are clearly above chance (the labels' learning rule). */
export function learnedOf(
  chance: { accuracy: number | null; loss: number | null },
  testAcc: number | null,
  bestTestAcc: number | null,
  testLoss: number | null,
): boolean {
  if (chance.accuracy !== null) {
    const acc = Math.max(testAcc ?? -1, bestTestAcc ?? -1);
    return acc >= chance.accuracy + LEARN_ACCURACY_MARGIN;
  }
  return (
    testLoss !== null && Number.isFinite(testLoss) && testLoss <= LEARN_LOSS_FRACTION * chance.loss!
  );
}

/** One long run of a config and its outcome under the labels' rule. */
export async function longRun(config: Partial<TrainConfig>, steps: number): Promise<RunOutcome> {
  const t0 = performance.now();
  const r = await train({ ...config, steps, out: null });
  const data = await loadDatasetAsync(r.config.dataset, datasetOptions(r.config));
  const chance = chanceOf(data);
  const s = r.summary;
  const records = r.records;
  const nonFinite =
    s.status === "exploded" ||
    records.some((x) => !Number.isFinite(x.loss) || !Number.isFinite(x.gradNorm)) ||
    (s.testLoss !== null && !Number.isFinite(s.testLoss));
  const norms = records.map((x) => x.gradNorm).filter((v) => Number.isFinite(v));
  const growth = norms.length > 0 && norms[0]! > 0 ? Math.max(...norms) / norms[0]! : 1;
  const first = records[0];
  let initSpan = Number.NaN;
  if (first) {
    const L = first.layers.length;
    const from = L >= 3 ? 2 : 1;
    initSpan = first.layers[from - 1]!.gradPreactMeanSq / first.layers[L - 1]!.gradPreactMeanSq;
  }
  const learned = !nonFinite && learnedOf(chance, s.testAcc, s.bestTestAcc, s.testLoss);
  const o = { nonFinite, growth, initSpan, learned };
  return {
    seed: r.config.seed,
    steps,
    status: s.status,
    ...o,
    testAcc: s.testAcc,
    testLoss: s.testLoss,
    bestTestAcc: s.bestTestAcc,
    chance: chance.accuracy ?? chance.loss!,
    label: trainingRule(o),
    elapsedMs: performance.now() - t0,
  };
}
