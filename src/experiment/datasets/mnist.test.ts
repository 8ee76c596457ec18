import { describe, expect, it } from "vitest";
import type { Mat } from "../../core/mat.ts";
import type { Dataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { loadDataset, loadDatasetAsync } from "./load.ts";

/** Importing the mnist package parses ~60 MB of JSON: give these tests room. */
const SLOW = 120_000;

function checkOneHot(Y: Mat, labels: Int32Array, X: Mat): void {
  expect(Y.cols).toBe(10);
  expect(labels.length).toBe(Y.rows);
  for (let r = 0; r < Y.rows; r++) {
    let sum = 0;
    for (let c = 0; c < 10; c++) sum += Y.get(r, c);
    expect(sum).toBe(1);
    expect(Y.get(r, labels[r]!)).toBe(1);
  }
  expect(X.cols).toBe(784);
}

function range(m: Mat): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m.size; i++) {
    const v = m.data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

describe("mnist", () => {
  it(
    "loads 10,000 digits: 784 inputs in [0, 1], 10 one-hot classes, seeded 80/20 split",
    async () => {
      const d: Dataset = await loadDatasetAsync("mnist", { seed: 0, dtype: "f32" });
      expect(d.task).toBe("classification");
      expect([d.inputDim, d.outputDim]).toEqual([784, 10]);
      expect([d.trainX.rows, d.testX.rows]).toEqual([8000, 2000]);
      expect(d.trainX.dtype).toBe("f32");
      checkOneHot(d.trainY, d.labels!.train, d.trainX);
      checkOneHot(d.testY, d.labels!.test, d.testX);
      for (const X of [d.trainX, d.testX]) {
        const [lo, hi] = range(X);
        expect(lo).toBe(0);
        expect(hi).toBe(1);
      }
      // every digit is present in both halves, roughly in proportion (~1,000 each overall)
      const counts = new Array<number>(10).fill(0);
      for (const l of [...d.labels!.train, ...d.labels!.test]) counts[l]!++;
      expect(counts.reduce((s, v) => s + v, 0)).toBe(10000);
      for (const c of counts) expect(c).toBeGreaterThan(800);
      expect(new Set(d.labels!.test).size).toBe(10);
      // a digit has ink: ~19% of pixels are non-zero on average
      let ink = 0;
      for (let i = 0; i < d.trainX.size; i++) if (d.trainX.data[i]! > 0) ink++;
      expect(ink / d.trainX.size).toBeGreaterThan(0.1);
      expect(ink / d.trainX.size).toBeLessThan(0.3);
    },
    SLOW,
  );

  it(
    "is deterministic; samples draws a seeded subset; seeds differ",
    async () => {
      const opts = { seed: 5, dtype: "f64" as const, samples: 500, testFraction: 0.1 };
      const a = await loadDatasetAsync("mnist", opts);
      const b = await loadDatasetAsync("mnist", opts);
      expect([a.trainX.rows, a.testX.rows]).toEqual([450, 50]);
      expect(Array.from(a.trainX.data)).toEqual(Array.from(b.trainX.data));
      expect(Array.from(a.labels!.test)).toEqual(Array.from(b.labels!.test));
      const c = await loadDatasetAsync("mnist", { ...opts, seed: 6 });
      expect(Array.from(c.labels!.train)).not.toEqual(Array.from(a.labels!.train));
      expect(new Set(a.labels!.train).size).toBe(10);
      checkOneHot(a.trainY, a.labels!.train, a.trainX);
      // samples above the 10,000 available is a cap, not an error
      const all = await loadDatasetAsync("mnist", { seed: 1, dtype: "f32", samples: 50_000 });
      expect(all.trainX.rows + all.testX.rows).toBe(10000);
    },
    SLOW,
  );

  it("the synchronous loader points to loadDatasetAsync", () => {
    expect(() => loadDataset("mnist", { seed: 0, dtype: "f64" })).toThrow(DatasetError);
    expect(() => loadDataset("mnist", { seed: 0, dtype: "f64" })).toThrow(
      "dataset mnist loads asynchronously: use loadDatasetAsync",
    );
  });
});
