import { DTYPES } from "../../core/dtype.ts";
import { assembleDataset, type RawSamples } from "./assemble.ts";
import { blobs } from "./blobs.ts";
import { circles } from "./circles.ts";
import { DATASET_NAMES, type Dataset, type DatasetName, type DatasetOptions } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { moons } from "./moons.ts";
import { spirals } from "./spirals.ts";
import { datasetStreams } from "./streams.ts";
import { teacherSamples } from "./teacher.ts";
import { xor } from "./xor.ts";

/*
 * The generated datasets, with no file or package access: safe for the browser lab and its
 * Web Worker (load.ts adds csv and mnist on top, which need node:fs and the mnist package).
 */

/** The datasets generated from a seed alone (no file, no package data). */
export const SYNTHETIC_DATASET_NAMES = [
  "spirals",
  "circles",
  "xor",
  "moons",
  "blobs",
  "teacher",
] as const satisfies readonly DatasetName[];
export type SyntheticDatasetName = (typeof SYNTHETIC_DATASET_NAMES)[number];

export function isSyntheticDataset(name: string): name is SyntheticDatasetName {
  return (SYNTHETIC_DATASET_NAMES as readonly string[]).includes(name);
}

/**
 * Defaults of the options, per dataset. `noise` means:
 * - spirals: std of the angle, radians (CS231n's 0.2);
 * - circles, moons, xor, blobs: std of Gaussian jitter added to each coordinate;
 * - teacher: std of Gaussian noise added to each target.
 * Synthetic 2-D inputs are raw coordinates, not standardized: every set lies roughly in
 * [-1, 1]^2 (moons in [-1.5, 1.5] x [-0.75, 0.75]) before noise. `samples` is the total
 * before the split; for mnist and csv it caps the size (default: everything).
 */
export const DATASET_DEFAULTS = {
  testFraction: 0.2,
  samples: 1000,
  noise: { spirals: 0.2, circles: 0.05, xor: 0.05, moons: 0.1, blobs: 0.15, teacher: 0 },
  classes: { spirals: 3, blobs: 3 },
  teacher: { inputDim: 10, outputDim: 1, teacherDepth: 2, teacherWidth: 32 },
} as const;

function checkInt(key: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DatasetError(
      `dataset option ${key} must be an integer between ${min} and ${max} (got ${value})`,
    );
  }
}

/** Validate a dataset name and its options; throws a DatasetError (one line). */
export function checkDatasetOptions(name: string, o: DatasetOptions): DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new DatasetError(`unknown dataset '${name}' (known: ${DATASET_NAMES.join(", ")})`);
  }
  if (!(DTYPES as readonly string[]).includes(o.dtype)) {
    throw new DatasetError(`dataset option dtype must be f32 or f64 (got ${String(o.dtype)})`);
  }
  checkInt("seed", o.seed, 0, 4_294_967_295);
  checkInt("samples", o.samples, 1, 100_000_000);
  checkInt("classes", o.classes, 2, 10_000);
  checkInt("inputDim", o.inputDim, 1, 1_000_000);
  checkInt("outputDim", o.outputDim, 1, 1_000_000);
  checkInt("teacherDepth", o.teacherDepth, 0, 10_000);
  checkInt("teacherWidth", o.teacherWidth, 1, 1_000_000);
  checkInt("teacherSeed", o.teacherSeed, 0, 4_294_967_295);
  if (o.noise !== undefined && !(Number.isFinite(o.noise) && o.noise >= 0)) {
    throw new DatasetError(`dataset option noise must be a number >= 0 (got ${o.noise})`);
  }
  const f = o.testFraction;
  if (f !== undefined && !(Number.isFinite(f) && f >= 0 && f < 1)) {
    throw new DatasetError(`dataset option testFraction must be in [0, 1) (got ${f})`);
  }
  if (o.task !== undefined && o.task !== "classification" && o.task !== "regression") {
    throw new DatasetError(
      `dataset option task must be classification or regression (got ${String(o.task)})`,
    );
  }
  return name as DatasetName;
}

/** Memory a generated dataset may take when the caller gives no limit (the browser): 2 GiB. */
export const DEFAULT_DATASET_MEMORY = 2 * 1024 ** 3;

/**
 * Refuse, before anything is allocated, a generated dataset whose arrays would take more than
 * `options.memoryLimitBytes` (Node passes 3/4 of the memory available now): the raw samples in
 * float64 plus the train/test matrices and targets in the dtype, e.g. teacher with 10^8
 * samples of 10^6 inputs.
 */
function checkSyntheticMemory(name: SyntheticDatasetName, count: number, o: DatasetOptions): void {
  const t = DATASET_DEFAULTS.teacher;
  const inputDim = name === "teacher" ? (o.inputDim ?? t.inputDim) : 2;
  const outputDim =
    name === "teacher"
      ? (o.outputDim ?? t.outputDim)
      : (o.classes ?? (name === "spirals" || name === "blobs" ? 3 : 2));
  const bytes = o.dtype === "f32" ? 4 : 8;
  const need = count * ((inputDim + outputDim) * (8 + bytes) + 12);
  const limit = o.memoryLimitBytes ?? DEFAULT_DATASET_MEMORY;
  if (need > limit) {
    const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
    throw new DatasetError(
      `dataset ${name}: ${count} samples of ${inputDim} inputs and ${outputDim} outputs need about ${mib(need)}, over the ${mib(limit)} of memory available: use fewer samples${name === "teacher" ? " or a smaller inputDim" : ""}`,
    );
  }
}

/**
 * Generate a synthetic dataset (every one but csv and mnist), exactly as `loadDataset` does:
 * the same options give identical data. Throws a DatasetError for bad options or for a
 * dataset that needs files or packages.
 */
export function loadSyntheticDataset(name: DatasetName, options: DatasetOptions): Dataset {
  const checked = checkDatasetOptions(name, options);
  if (!isSyntheticDataset(checked)) {
    throw new DatasetError(
      `dataset ${checked} is not generated: load it with loadDataset / loadDatasetAsync (Node)`,
    );
  }
  const testFraction = options.testFraction ?? DATASET_DEFAULTS.testFraction;
  const count = options.samples ?? DATASET_DEFAULTS.samples;
  checkSyntheticMemory(checked, count, options);
  const noise = options.noise ?? DATASET_DEFAULTS.noise[checked];
  const { data, split } = datasetStreams(options.seed);
  let raw: RawSamples;
  let description: string;
  switch (checked) {
    case "spirals": {
      const k = options.classes ?? DATASET_DEFAULTS.classes.spirals;
      raw = spirals(count, k, noise, data);
      description = `spirals: ${k} interleaved arms, ${count} points, angle noise ${noise}`;
      break;
    }
    case "blobs": {
      const k = options.classes ?? DATASET_DEFAULTS.classes.blobs;
      raw = blobs(count, k, noise, data);
      description = `blobs: ${k} Gaussian clusters, ${count} points, std ${noise}`;
      break;
    }
    case "circles":
      raw = circles(count, noise, data);
      description = `circles: rings of radius 1 and 0.5, ${count} points, noise ${noise}`;
      break;
    case "moons":
      raw = moons(count, noise, data);
      description = `moons: two half circles, ${count} points, noise ${noise}`;
      break;
    case "xor":
      raw = xor(count, noise, data);
      description = `xor: class 1 where x*y > 0, ${count} points, noise ${noise}`;
      break;
    case "teacher": {
      const d = DATASET_DEFAULTS.teacher;
      const shape = {
        inputDim: options.inputDim ?? d.inputDim,
        outputDim: options.outputDim ?? d.outputDim,
        depth: options.teacherDepth ?? d.teacherDepth,
        width: options.teacherWidth ?? d.teacherWidth,
      };
      const teacherSeed = options.teacherSeed ?? options.seed;
      // The teacher's stream is salted so it differs from the data streams of the same seed.
      const teacherRng = datasetStreams((teacherSeed ^ 0x7eac4e55) >>> 0).data;
      raw = teacherSamples(count, shape, noise, data, teacherRng);
      description =
        `teacher: tanh network ${shape.inputDim}-${Array(shape.depth).fill(shape.width).join("-")}` +
        `${shape.depth > 0 ? "-" : ""}${shape.outputDim} (teacher seed ${teacherSeed}), x ~ N(0, I), ` +
        `${count} samples, target noise ${noise}`;
      break;
    }
  }
  return assembleDataset(raw, {
    name: checked,
    description,
    dtype: options.dtype,
    testFraction,
    rng: split,
  });
}
