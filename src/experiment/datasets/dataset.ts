import type { DType } from "../../core/dtype.ts";
import type { Mat } from "../../core/mat.ts";

/** The datasets gradscope can load by name. */
export const DATASET_NAMES = [
  "spirals",
  "circles",
  "xor",
  "moons",
  "blobs",
  "teacher",
  "mnist",
  "csv",
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** What a label column holds: classes or numeric targets. */
export const DATASET_TASKS = ["classification", "regression"] as const;
export type DatasetTask = (typeof DATASET_TASKS)[number];

/**
 * A dataset as plain typed data. Rows are examples. For classification `trainY`/`testY` are
 * one-hot rows [n, classes] and `labels` holds the class indices; for regression they hold
 * the target values [n, targets] and `labels` is absent. Every Mat has the requested dtype.
 */
export interface Dataset {
  name: string;
  task: DatasetTask;
  inputDim: number;
  /** Number of classes (classification) or of target values (regression). */
  outputDim: number;
  trainX: Mat;
  trainY: Mat;
  testX: Mat;
  testY: Mat;
  labels?: { train: Int32Array; test: Int32Array };
  /** Names of the classes when they are not simply 0..K-1 (CSV string or remapped labels). */
  classNames?: string[];
  /** Names of the input columns (CSV with a header row). */
  featureNames?: string[];
  /** One human-readable line: what the data is and how it was made. */
  description: string;
}

/**
 * Options of `loadDataset`. Options a dataset does not use are ignored, so a caller may pass
 * one bag of options for every dataset. Defaults are listed in `load.ts`.
 */
export interface DatasetOptions {
  /** Seed of the data (sampling, noise and the train/test shuffle). */
  seed: number;
  dtype: DType;
  /** Total examples before the split (synthetic, teacher); a cap for mnist and csv. */
  samples?: number;
  /** Noise level; its meaning per dataset is documented in `load.ts`. */
  noise?: number;
  /** Fraction of the examples held out as the test set, in [0, 1). Default 0.2. */
  testFraction?: number;
  /** Number of classes (spirals, blobs). */
  classes?: number;
  /** Teacher input dimension. */
  inputDim?: number;
  /** Teacher output dimension. */
  outputDim?: number;
  /** Teacher hidden layers (0 gives a linear teacher). */
  teacherDepth?: number;
  /** Teacher hidden width. */
  teacherWidth?: number;
  /** Seed of the teacher's weights (default: `seed`), so one teacher can serve many data seeds. */
  teacherSeed?: number;
  /** CSV file to read (relative paths are relative to the working directory). */
  csvPath?: string;
  /** CSV contents given directly (used instead of reading `csvPath`; works without node:fs). */
  csvText?: string;
  /** CSV label column: a header name, or a 0-based index (negative counts from the end). */
  labelColumn?: string | number;
  /** CSV task; by default it is inferred from the label column (see `csv.ts`). */
  task?: DatasetTask;
  /**
   * Refuse data whose arrays would need more, before allocating them. Default in Node
   * (loadDataset): 3/4 of the memory available now (MemAvailable); in the browser 2 GiB.
   */
  memoryLimitBytes?: number;
}
