import type { DType } from "../../core/dtype.ts";
import type { Mat } from "../../core/mat.ts";
import type { Rng } from "../../core/rng.ts";
import { loadMnist } from "../datasets/mnist.ts";

/** The sequence tasks recurrent nets train on. */
export const SEQUENCE_TASK_NAMES = ["adding", "copy", "digits"] as const;
export type SequenceTaskName = (typeof SEQUENCE_TASK_NAMES)[number];

export function isSequenceTaskName(s: string): s is SequenceTaskName {
  return (SEQUENCE_TASK_NAMES as readonly string[]).includes(s);
}

/**
 * A task whose answer is read from the final hidden state h_T: x [batch, T * inputDim] (each
 * row x_1..x_T), y [batch, outputDim] (a regression target or a one-hot class).
 */
export interface SequenceTask {
  name: SequenceTaskName;
  /** One line: what the data is and what the net must remember. */
  description: string;
  seqLen: number;
  inputDim: number;
  outputDim: number;
  loss: "mse" | "cross-entropy";
  /**
   * The loss of the best predictor that ignores the input: adding 1/6 (always predict 1,
   * the variance of a sum of two U(0, 1)), copy ln K, digits ln 10 (about, for the class mix).
   */
  baselineLoss: number;
  /** Accuracy of guessing (classification); null for regression. */
  chanceAccuracy: number | null;
  /**
   * Fill x and y (batch rows each) with examples from `rng`. The synthetic tasks draw fresh
   * examples from their distribution for either split (train and test differ by their rng);
   * digits draws from its train or test digits.
   */
  sample(rng: Rng, x: Mat, y: Mat, split: "train" | "test"): void;
}

function checkShapes(task: SequenceTask, x: Mat, y: Mat): void {
  if (x.cols !== task.seqLen * task.inputDim || y.cols !== task.outputDim || x.rows !== y.rows) {
    throw new RangeError(
      `${task.name}: expected x [B, ${task.seqLen * task.inputDim}] and y [B, ${task.outputDim}], got ${x.rows}x${x.cols} and ${y.rows}x${y.cols}`,
    );
  }
}

function checkSeqLen(name: string, seqLen: number, min: number): void {
  if (!Number.isInteger(seqLen) || seqLen < min) {
    throw new RangeError(`${name}: seqLen must be an integer >= ${min}, got ${seqLen}`);
  }
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le, Jaitly & Hinton 2015):
 * each step carries a value u ~ U(0, 1) and a marker; exactly two steps are marked, one drawn
 * uniformly in the first half and one in the second half, and the target is the sum of the
 * two marked values. The first marker lies on average 3T/4 steps before the answer is read,
 * so a net must carry it that far; predicting 1 always scores MSE 1/6.
 */
export function addingProblem(seqLen: number): SequenceTask {
  checkSeqLen("adding", seqLen, 2);
  const half = Math.floor(seqLen / 2);
  const task: SequenceTask = {
    name: "adding",
    description: `adding problem, T = ${seqLen}: sum of the two marked values of U(0, 1) (one marker in each half); always predicting 1 gives MSE 1/6`,
    seqLen,
    inputDim: 2,
    outputDim: 1,
    loss: "mse",
    baselineLoss: 1 / 6,
    chanceAccuracy: null,
    sample(rng, x, y) {
      checkShapes(task, x, y);
      const row = 2 * seqLen;
      for (let b = 0; b < x.rows; b++) {
        const o = b * row;
        for (let t = 0; t < seqLen; t++) {
          x.data[o + 2 * t] = rng.uniform();
          x.data[o + 2 * t + 1] = 0;
        }
        const first = rng.int(half);
        const second = half + rng.int(seqLen - half);
        x.data[o + 2 * first + 1] = 1;
        x.data[o + 2 * second + 1] = 1;
        // the target is the sum of the stored (dtype-rounded) values
        y.data[b] = x.data[o + 2 * first]! + x.data[o + 2 * second]!;
      }
    },
  };
  return task;
}

/**
 * A copy/memory task (after Hochreiter & Schmidhuber 1997): step 1 shows one of K symbols
 * (one-hot in channels 0..K-1), steps 2..T-1 show random distractor symbols from the same K,
 * and step T raises the recall channel K. The net must answer the first symbol: a K-way
 * classification at the final step, chance accuracy 1/K, input-blind loss ln K.
 */
export function copyTask(seqLen: number, symbols = 8): SequenceTask {
  checkSeqLen("copy", seqLen, 2);
  if (!Number.isInteger(symbols) || symbols < 2) {
    throw new RangeError(`copy: symbols must be an integer >= 2, got ${symbols}`);
  }
  const I = symbols + 1;
  const task: SequenceTask = {
    name: "copy",
    description: `copy/memory task, T = ${seqLen}: recall the first of ${symbols} symbols after ${seqLen - 2} random distractors; chance ${(1 / symbols).toFixed(3)}`,
    seqLen,
    inputDim: I,
    outputDim: symbols,
    loss: "cross-entropy",
    baselineLoss: Math.log(symbols),
    chanceAccuracy: 1 / symbols,
    sample(rng, x, y) {
      checkShapes(task, x, y);
      x.fill(0);
      y.fill(0);
      const row = seqLen * I;
      for (let b = 0; b < x.rows; b++) {
        const o = b * row;
        const s = rng.int(symbols);
        x.data[o + s] = 1;
        for (let t = 1; t < seqLen - 1; t++) x.data[o + t * I + rng.int(symbols)] = 1;
        x.data[o + (seqLen - 1) * I + symbols] = 1;
        y.data[b * symbols + s] = 1;
      }
    },
  };
  return task;
}

export interface DigitsTaskOptions {
  seed: number;
  dtype: DType;
  /** Keep a seeded subset of this many digits (default: all 10,000). */
  samples?: number;
  testFraction?: number;
}

/**
 * Sequential digits: MNIST read row by row, T = 28 steps of the 28 pixels of one row, the
 * class read from h_T (the row-wise form of Le et al. 2015's pixel-by-pixel MNIST). A
 * dataset row of 784 pixels is already [T, I] time-major, so it is used as it is.
 */
export async function sequentialDigits(options: DigitsTaskOptions): Promise<SequenceTask> {
  const data = await loadMnist({
    seed: options.seed,
    dtype: options.dtype,
    samples: options.samples,
    testFraction: options.testFraction ?? 0.2,
  });
  const I = 28;
  const T = 28;
  const task: SequenceTask = {
    name: "digits",
    description: `sequential digits: ${data.trainX.rows} + ${data.testX.rows} MNIST digits read row by row (28 steps of 28 pixels), class from h_T`,
    seqLen: T,
    inputDim: I,
    outputDim: 10,
    loss: "cross-entropy",
    baselineLoss: Math.log(10),
    chanceAccuracy: 0.1,
    sample(rng, x, y, split) {
      checkShapes(task, x, y);
      const X = split === "train" ? data.trainX : data.testX;
      const Y = split === "train" ? data.trainY : data.testY;
      for (let b = 0; b < x.rows; b++) {
        const r = rng.int(X.rows);
        for (let k = 0; k < X.cols; k++) x.data[b * x.cols + k] = X.data[r * X.cols + k]!;
        for (let k = 0; k < 10; k++) y.data[b * 10 + k] = Y.data[r * 10 + k]!;
      }
    },
  };
  return task;
}

export interface SequenceTaskOptions {
  seqLen?: number;
  /** Copy task: number of symbols K (default 8). */
  symbols?: number;
  seed?: number;
  dtype?: DType;
  /** Digits: a seeded subset of this many digits. */
  samples?: number;
}

/** The task called `name`; digits loads MNIST, hence async (seqLen is fixed at 28 there). */
export async function createSequenceTask(
  name: SequenceTaskName,
  options: SequenceTaskOptions = {},
): Promise<SequenceTask> {
  switch (name) {
    case "adding":
      return addingProblem(options.seqLen ?? 100);
    case "copy":
      return copyTask(options.seqLen ?? 50, options.symbols ?? 8);
    case "digits":
      return sequentialDigits({
        seed: options.seed ?? 0,
        dtype: options.dtype ?? "f64",
        ...(options.samples === undefined ? {} : { samples: options.samples }),
      });
  }
}
