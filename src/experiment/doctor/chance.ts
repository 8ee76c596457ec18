import type { Dataset } from "../datasets/dataset.ts";

/**
 * What a model that learned nothing scores on a dataset's test set, the bar a remedy must
 * clear before it can count as a fix.
 */
export interface Chance {
  /**
   * Classification: the share of the test set's most common class, what predicting that one
   * class for every example scores (>= 1/classes up to sampling); null for regression.
   */
  accuracy: number | null;
  /**
   * Regression: the mean squared error (over all entries, as the mse loss) of predicting the
   * training targets' mean for every test example; null for classification.
   */
  loss: number | null;
}

export function chanceOf(data: Dataset): Chance {
  // without a test set, runs are judged on the training set
  const noTest = data.testY.rows === 0;
  if (data.task === "classification") {
    const labels = noTest ? data.labels?.train : data.labels?.test;
    const k = data.outputDim;
    if (labels && labels.length > 0) {
      const counts = new Array<number>(k).fill(0);
      for (const c of labels) counts[c] = (counts[c] ?? 0) + 1;
      return { accuracy: Math.max(...counts) / labels.length, loss: null };
    }
    // no labels array: count the one-hot rows of the test targets
    const Y = noTest ? data.trainY : data.testY;
    if (Y.rows === 0) return { accuracy: k > 0 ? 1 / k : null, loss: null };
    const counts = new Array<number>(Y.cols).fill(0);
    for (let r = 0; r < Y.rows; r++) {
      let best = 0;
      for (let j = 1; j < Y.cols; j++)
        if (Y.data[r * Y.cols + j]! > Y.data[r * Y.cols + best]!) best = j;
      counts[best]! += 1;
    }
    return { accuracy: Math.max(...counts) / Y.rows, loss: null };
  }
  const trainY = data.trainY;
  const testY = noTest ? data.trainY : data.testY;
  const k = trainY.cols;
  const mean = new Float64Array(k);
  for (let r = 0; r < trainY.rows; r++)
    for (let j = 0; j < k; j++) mean[j]! += trainY.data[r * k + j]!;
  for (let j = 0; j < k; j++) mean[j]! /= Math.max(1, trainY.rows);
  let sum = 0;
  for (let r = 0; r < testY.rows; r++)
    for (let j = 0; j < k; j++) {
      const e = testY.data[r * k + j]! - mean[j]!;
      sum += e * e;
    }
  const n = testY.rows * k;
  return { accuracy: null, loss: n > 0 ? sum / n : null };
}
