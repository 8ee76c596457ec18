import type { DType } from "../../core/dtype.ts";
import { Mat } from "../../core/mat.ts";
import type { Rng } from "../../core/rng.ts";
import type { Dataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";

/** Labelled examples before shuffling and splitting: row-major inputs [count, inputDim]. */
export type RawSamples =
  | {
      task: "classification";
      count: number;
      inputDim: number;
      x: ArrayLike<number>;
      /** Class index of each example, in 0..classes-1. */
      labels: Int32Array;
      classes: number;
    }
  | {
      task: "regression";
      count: number;
      inputDim: number;
      x: ArrayLike<number>;
      /** Row-major targets [count, outputDim]. */
      y: ArrayLike<number>;
      outputDim: number;
    };

export interface AssembleOptions {
  name: string;
  /** Names the data in error messages (default: `name`), e.g. a file path. */
  source?: string;
  /** What the data is; the split sizes are appended. */
  description: string;
  dtype: DType;
  /** Fraction held out for testing, in [0, 1). */
  testFraction: number;
  /** Keep at most this many examples (after the shuffle). */
  samples?: number;
  /** The stream that shuffles (use its own fork, so the split does not move the data). */
  rng: Rng;
  classNames?: string[];
  featureNames?: string[];
  /**
   * The shuffled order of the examples, already drawn (`shufflePermutation`): `raw` holds
   * only the examples it keeps, and `order[i]` is the row of `raw` at position i. Used by the
   * csv loader, which reads only the rows `samples` keeps; `rng` is then not used.
   */
  order?: Int32Array;
}

/** The seeded Fisher-Yates permutation of 0..count-1 that assembleDataset draws. */
export function shufflePermutation(count: number, rng: Rng): Int32Array {
  const perm = new Int32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/** Test-set size for n examples: round(n * f), but at least 1 and at most n - 1 when f > 0. */
export function testSize(n: number, testFraction: number): number {
  if (testFraction <= 0) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
}

/**
 * Shuffle the examples with a seeded Fisher-Yates permutation (one `rng.int` per swap, from the
 * last index down), keep the first `samples`, and split them: the first n - nTest shuffled
 * examples are the training set, the rest the test set (nTest from `testSize`). Classification
 * targets become one-hot rows. Values are converted to `dtype` once, when written.
 */
export function assembleDataset(raw: RawSamples, options: AssembleOptions): Dataset {
  const { count, inputDim } = raw;
  const f = options.testFraction;
  const n = Math.min(count, options.samples ?? count);
  const minimum = f > 0 ? 2 : 1;
  if (n < minimum) {
    const what = f > 0 ? `a train/test split with testFraction ${f}` : "a training set";
    throw new DatasetError(
      `${options.source ?? options.name}: ${n} example${n === 1 ? " is" : "s are"} too few for ${what} (need at least ${minimum})`,
    );
  }
  const perm = options.order ?? shufflePermutation(count, options.rng);
  const nTest = testSize(n, f);
  const nTrain = n - nTest;
  const outputDim = raw.task === "classification" ? raw.classes : raw.outputDim;

  const part = (start: number, size: number) => {
    const x = Mat.zeros(size, inputDim, options.dtype);
    const y = Mat.zeros(size, outputDim, options.dtype);
    const labels = new Int32Array(raw.task === "classification" ? size : 0);
    for (let r = 0; r < size; r++) {
      const src = perm[start + r]!;
      for (let j = 0; j < inputDim; j++) x.data[r * inputDim + j] = raw.x[src * inputDim + j]!;
      if (raw.task === "classification") {
        const label = raw.labels[src]!;
        labels[r] = label;
        y.data[r * outputDim + label] = 1;
      } else {
        for (let j = 0; j < outputDim; j++) y.data[r * outputDim + j] = raw.y[src * outputDim + j]!;
      }
    }
    return { x, y, labels };
  };
  const train = part(0, nTrain);
  const test = part(nTrain, nTest);

  const dataset: Dataset = {
    name: options.name,
    task: raw.task,
    inputDim,
    outputDim,
    trainX: train.x,
    trainY: train.y,
    testX: test.x,
    testY: test.y,
    description: `${options.description}; ${nTrain} train / ${nTest} test`,
  };
  if (raw.task === "classification") dataset.labels = { train: train.labels, test: test.labels };
  if (options.classNames) dataset.classNames = options.classNames;
  if (options.featureNames) dataset.featureNames = options.featureNames;
  return dataset;
}
