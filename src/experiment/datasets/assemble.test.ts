import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.ts";
import { assembleDataset, type RawSamples, testSize } from "./assemble.ts";
import { DatasetError } from "./errors.ts";

function raw(count: number): RawSamples {
  const x = new Float64Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
    labels[i] = i % 3;
  }
  return { task: "classification", count, inputDim: 2, x, labels, classes: 3 };
}

const base = { name: "t", description: "t", dtype: "f64" as const };

describe("assembleDataset", () => {
  it("test size is round(n f), at least 1 and at most n - 1", () => {
    expect(testSize(1000, 0.2)).toBe(200);
    expect(testSize(10, 0.25)).toBe(3);
    expect(testSize(2, 0.2)).toBe(1);
    expect(testSize(3, 0.9)).toBe(2);
    expect(testSize(50, 0)).toBe(0);
  });

  it("splits a permutation: every example exactly once, rows kept intact", () => {
    const d = assembleDataset(raw(97), { ...base, testFraction: 0.2, rng: new Rng(1) });
    expect(d.trainX.rows + d.testX.rows).toBe(97);
    expect(d.testX.rows).toBe(19);
    const seen: number[] = [];
    for (const [X, labels] of [
      [d.trainX, d.labels!.train],
      [d.testX, d.labels!.test],
    ] as const) {
      for (let r = 0; r < X.rows; r++) {
        const i = X.get(r, 0);
        expect(X.get(r, 1)).toBe(-i);
        expect(labels[r]).toBe(i % 3);
        seen.push(i);
      }
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 97 }, (_, i) => i));
    expect(seen).not.toEqual(d.trainX.toArray().map((r) => r[0]));
  });

  it("caps the size with samples, and allows an empty test set with testFraction 0", () => {
    const capped = assembleDataset(raw(100), {
      ...base,
      testFraction: 0.5,
      samples: 10,
      rng: new Rng(2),
    });
    expect([capped.trainX.rows, capped.testX.rows]).toEqual([5, 5]);
    const all = assembleDataset(raw(10), { ...base, testFraction: 0, rng: new Rng(2) });
    expect([all.trainX.rows, all.testX.rows, all.testY.cols]).toEqual([10, 0, 3]);
  });

  it("regression targets follow their rows", () => {
    const x = Float64Array.from([0, 1, 2, 3, 4, 5]);
    const y = Float64Array.from([0, 10, 20, 30, 40, 50]);
    const d = assembleDataset(
      { task: "regression", count: 6, inputDim: 1, x, y, outputDim: 1 },
      { ...base, testFraction: 0.5, rng: new Rng(3) },
    );
    expect(d.labels).toBeUndefined();
    for (const [X, Y] of [
      [d.trainX, d.trainY],
      [d.testX, d.testY],
    ] as const) {
      for (let r = 0; r < X.rows; r++) expect(Y.get(r, 0)).toBe(10 * X.get(r, 0));
    }
  });

  it("too few examples for a split is a DatasetError naming the source", () => {
    const run = () =>
      assembleDataset(raw(1), { ...base, source: "a.csv", testFraction: 0.2, rng: new Rng(1) });
    expect(run).toThrow(DatasetError);
    expect(run).toThrow(
      "a.csv: 1 example is too few for a train/test split with testFraction 0.2 (need at least 2)",
    );
  });
});
