import { describe, expect, it } from "vitest";
import { DATASET_NAMES, type DatasetName, type DatasetOptions } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import {
  DATASET_DEFAULTS,
  DATASET_DESCRIPTIONS,
  isAsyncDataset,
  loadDataset,
  loadDatasetAsync,
} from "./load.ts";

function errorOf(name: string, options: Partial<DatasetOptions>): string {
  try {
    loadDataset(name as DatasetName, { seed: 0, dtype: "f64", ...options } as DatasetOptions);
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as Error).message;
  }
  throw new Error("expected a DatasetError");
}

describe("loadDataset", () => {
  it("every name has a description; only mnist is async", () => {
    expect(Object.keys(DATASET_DESCRIPTIONS).sort()).toEqual([...DATASET_NAMES].sort());
    expect(DATASET_NAMES.filter(isAsyncDataset)).toEqual(["mnist"]);
  });

  it("uses the documented defaults", () => {
    const d = loadDataset("spirals", { seed: 0, dtype: "f64" });
    expect(d.trainX.rows + d.testX.rows).toBe(DATASET_DEFAULTS.samples);
    expect(d.testX.rows).toBe(DATASET_DEFAULTS.samples * DATASET_DEFAULTS.testFraction);
    expect(d.outputDim).toBe(3);
    expect(d.description).toContain("angle noise 0.2");
  });

  it("ignores options that a dataset does not use", () => {
    const a = loadDataset("circles", { seed: 1, dtype: "f64" });
    const b = loadDataset("circles", {
      seed: 1,
      dtype: "f64",
      classes: 7,
      inputDim: 9,
      teacherDepth: 4,
      csvPath: "/nonexistent.csv",
      labelColumn: "x",
    });
    expect(Array.from(b.trainX.data)).toEqual(Array.from(a.trainX.data));
  });

  it("loadDatasetAsync gives the synchronous result for the synchronous datasets", async () => {
    const opts = { seed: 2, dtype: "f32" as const, samples: 64 };
    const sync = loadDataset("xor", opts);
    const async = await loadDatasetAsync("xor", opts);
    expect(Array.from(async.trainX.data)).toEqual(Array.from(sync.trainX.data));
  });

  it("bad names and options are one-line DatasetErrors", () => {
    expect(errorOf("gaussian", {})).toBe(
      "unknown dataset 'gaussian' (known: spirals, circles, xor, moons, blobs, teacher, mnist, csv)",
    );
    expect(errorOf("xor", { dtype: "f16" as never })).toBe(
      "dataset option dtype must be f32 or f64 (got f16)",
    );
    expect(errorOf("xor", { samples: 0 })).toBe(
      "dataset option samples must be an integer between 1 and 100000000 (got 0)",
    );
    expect(errorOf("xor", { samples: 2.5 })).toMatch(/samples must be an integer/);
    expect(errorOf("spirals", { classes: 1 })).toMatch(/classes must be an integer between 2/);
    expect(errorOf("xor", { seed: -1 })).toMatch(/seed must be an integer between 0/);
    expect(errorOf("xor", { noise: -0.1 })).toBe(
      "dataset option noise must be a number >= 0 (got -0.1)",
    );
    expect(errorOf("xor", { noise: Number.NaN })).toMatch(/noise must be a number >= 0/);
    expect(errorOf("xor", { testFraction: 1 })).toBe(
      "dataset option testFraction must be in [0, 1) (got 1)",
    );
    expect(errorOf("teacher", { teacherDepth: -1 })).toMatch(/teacherDepth must be an integer/);
    expect(errorOf("csv", { task: "ranking" as never })).toMatch(
      /task must be classification or regression/,
    );
    expect(errorOf("moons", { samples: 1 })).toBe(
      "moons: 1 example is too few for a train/test split with testFraction 0.2 (need at least 2)",
    );
  });
});
