import { memoryBudget } from "../memory-node.ts";
import { loadCsvDataset } from "./csv.ts";
import type { Dataset, DatasetName, DatasetOptions } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { loadMnist } from "./mnist.ts";
import { checkDatasetOptions, DATASET_DEFAULTS, loadSyntheticDataset } from "./synthetic-load.ts";

// The generated datasets live in synthetic-load.ts (browser-safe); this adds csv and mnist.
export { DATASET_DEFAULTS };

/** One line per dataset, for help texts. */
export const DATASET_DESCRIPTIONS: Record<DatasetName, string> = {
  spirals: "K interleaved spiral arms in 2-D (classes, noise = angle std)",
  circles: "two concentric rings, radii 1 and 0.5 (sklearn make_circles)",
  xor: "uniform square, class 1 where x*y > 0",
  moons: "two interleaving half circles (sklearn make_moons, centred)",
  blobs: "K Gaussian clusters on a circle (classes)",
  teacher: "regression on a random tanh teacher network, x ~ N(0, I)",
  mnist: "10,000 MNIST digits, 784 pixels in [0, 1] (async: loadDatasetAsync)",
  csv: "a CSV table: numeric features and a label column (csvPath)",
};

/** True for the datasets that `loadDataset` cannot load synchronously. */
export function isAsyncDataset(name: DatasetName): boolean {
  return name === "mnist";
}

/**
 * Load a dataset by name, synchronously: every dataset except mnist (whose package takes
 * ~0.5 s to import; use `loadDatasetAsync`). Deterministic: the same options give identical
 * data. Options a dataset does not use are ignored. Throws a DatasetError (one line) for bad
 * options or bad files.
 */
export function loadDataset(name: DatasetName, options: DatasetOptions): Dataset {
  const checked = checkDatasetOptions(name, options);
  if (checked === "mnist") {
    throw new DatasetError("dataset mnist loads asynchronously: use loadDatasetAsync");
  }
  const testFraction = options.testFraction ?? DATASET_DEFAULTS.testFraction;
  // memory is checked against what is free now, before the arrays exist
  const memoryLimitBytes = options.memoryLimitBytes ?? memoryBudget();
  if (checked === "csv") {
    return loadCsvDataset({
      seed: options.seed,
      dtype: options.dtype,
      testFraction,
      memoryLimitBytes,
      ...pick(options, ["samples", "csvPath", "csvText", "labelColumn", "task"]),
    });
  }
  return loadSyntheticDataset(checked, { ...options, memoryLimitBytes });
}

/** Load any dataset, mnist included. The synthetic and csv ones resolve immediately. */
export async function loadDatasetAsync(
  name: DatasetName,
  options: DatasetOptions,
): Promise<Dataset> {
  const checked = checkDatasetOptions(name, options);
  if (checked !== "mnist") return loadDataset(checked, options);
  return loadMnist({
    seed: options.seed,
    dtype: options.dtype,
    testFraction: options.testFraction ?? DATASET_DEFAULTS.testFraction,
    ...pick(options, ["samples"]),
  });
}

/** The keys of `o` that are defined (exactOptionalPropertyTypes-friendly spreading). */
function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
