import { describe, expect, it } from "vitest";
import type { Mat } from "../../core/mat.ts";
import type { Dataset, DatasetName } from "./dataset.ts";
import { loadDataset } from "./load.ts";

const SYNTHETIC: DatasetName[] = ["spirals", "circles", "xor", "moons", "blobs", "teacher"];

function rowsOf(m: Mat): number[][] {
  return m.toArray();
}

/** All points of a classification set with their labels, train then test. */
function points(d: Dataset): { x: number; y: number; label: number }[] {
  const out: { x: number; y: number; label: number }[] = [];
  for (const [X, labels] of [
    [d.trainX, d.labels!.train],
    [d.testX, d.labels!.test],
  ] as const) {
    for (let i = 0; i < X.rows; i++)
      out.push({ x: X.get(i, 0), y: X.get(i, 1), label: labels[i]! });
  }
  return out;
}

function classCounts(d: Dataset): number[] {
  const counts = new Array<number>(d.outputDim).fill(0);
  for (const p of points(d)) counts[p.label]!++;
  return counts;
}

describe("synthetic datasets", () => {
  it.each(SYNTHETIC)("%s is a deterministic function of the seed", (name) => {
    const a = loadDataset(name, { seed: 7, dtype: "f64" });
    const b = loadDataset(name, { seed: 7, dtype: "f64" });
    const c = loadDataset(name, { seed: 8, dtype: "f64" });
    for (const key of ["trainX", "trainY", "testX", "testY"] as const) {
      expect(Array.from(a[key].data)).toEqual(Array.from(b[key].data));
    }
    expect(a.labels?.train).toEqual(b.labels?.train);
    expect(a.description).toBe(b.description);
    expect(Array.from(c.trainX.data)).not.toEqual(Array.from(a.trainX.data));
  });

  it.each(SYNTHETIC)("%s has the documented shapes and split sizes", (name) => {
    const d = loadDataset(name, { seed: 1, dtype: "f32", samples: 250, testFraction: 0.3 });
    const inputDim = name === "teacher" ? 10 : 2;
    const outputDim = name === "teacher" ? 1 : name === "spirals" || name === "blobs" ? 3 : 2;
    expect(d.name).toBe(name);
    expect(d.inputDim).toBe(inputDim);
    expect(d.outputDim).toBe(outputDim);
    expect(d.task).toBe(name === "teacher" ? "regression" : "classification");
    expect([d.trainX.rows, d.trainX.cols]).toEqual([175, inputDim]);
    expect([d.testX.rows, d.testX.cols]).toEqual([75, inputDim]);
    expect([d.trainY.rows, d.trainY.cols]).toEqual([175, outputDim]);
    expect([d.testY.rows, d.testY.cols]).toEqual([75, outputDim]);
    for (const m of [d.trainX, d.trainY, d.testX, d.testY]) {
      expect(m.dtype).toBe("f32");
      expect(m.data.every(Number.isFinite)).toBe(true);
    }
    expect(d.description).toContain("175 train / 75 test");
  });

  it.each(SYNTHETIC.filter((n) => n !== "teacher"))(
    "%s targets are one-hot rows of the labels",
    (name) => {
      const d = loadDataset(name, { seed: 2, dtype: "f64", samples: 301 });
      for (const [Y, labels] of [
        [d.trainY, d.labels!.train],
        [d.testY, d.labels!.test],
      ] as const) {
        expect(labels.length).toBe(Y.rows);
        rowsOf(Y).forEach((row, i) => {
          expect(row.filter((v) => v === 1)).toHaveLength(1);
          expect(row.filter((v) => v === 0)).toHaveLength(d.outputDim - 1);
          expect(row[labels[i]!]).toBe(1);
        });
      }
    },
  );

  it("classes are balanced (to within one example)", () => {
    expect(classCounts(loadDataset("spirals", { seed: 0, dtype: "f64", samples: 100 }))).toEqual([
      34, 33, 33,
    ]);
    expect(
      classCounts(loadDataset("blobs", { seed: 0, dtype: "f64", samples: 100, classes: 5 })),
    ).toEqual([20, 20, 20, 20, 20]);
    expect(classCounts(loadDataset("circles", { seed: 0, dtype: "f64", samples: 101 }))).toEqual([
      50, 51,
    ]);
    expect(classCounts(loadDataset("moons", { seed: 0, dtype: "f64", samples: 101 }))).toEqual([
      50, 51,
    ]);
    expect(classCounts(loadDataset("xor", { seed: 0, dtype: "f64", samples: 100 }))).toEqual([
      50, 50,
    ]);
  });

  it("the split is a shuffle: both halves mix the classes", () => {
    const d = loadDataset("circles", { seed: 4, dtype: "f64", samples: 400 });
    const trainOnes = d.labels!.train.reduce((s, v) => s + v, 0);
    const testOnes = d.labels!.test.reduce((s, v) => s + v, 0);
    expect(trainOnes + testOnes).toBe(200);
    expect(trainOnes).toBeGreaterThan(120);
    expect(trainOnes).toBeLessThan(200);
    // the first rows are not in generation order
    expect(new Set(Array.from(d.labels!.train.slice(0, 20))).size).toBe(2);
  });

  it("changing only testFraction keeps the points (data and split use separate streams)", () => {
    const a = loadDataset("moons", { seed: 5, dtype: "f64", samples: 200, testFraction: 0.1 });
    const b = loadDataset("moons", { seed: 5, dtype: "f64", samples: 200, testFraction: 0.5 });
    const all = (d: Dataset) =>
      points(d)
        .map((p) => `${p.x},${p.y},${p.label}`)
        .sort();
    expect(all(a)).toEqual(all(b));
  });

  it("circles with noise 0 lie exactly on radius 1 (class 0) and 0.5 (class 1)", () => {
    const d = loadDataset("circles", { seed: 3, dtype: "f64", samples: 200, noise: 0 });
    for (const p of points(d)) {
      expect(Math.hypot(p.x, p.y)).toBeCloseTo(p.label === 0 ? 1 : 0.5, 12);
    }
  });

  it("spirals with noise 0 lie exactly on their arms: theta = 2 pi k / K + 4 r", () => {
    const K = 4;
    const d = loadDataset("spirals", { seed: 3, dtype: "f64", samples: 400, noise: 0, classes: K });
    for (const p of points(d)) {
      const r = Math.hypot(p.x, p.y);
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThan(1);
      const theta = (2 * Math.PI * p.label) / K + 4 * r;
      expect(p.x).toBeCloseTo(r * Math.cos(theta), 12);
      expect(p.y).toBeCloseTo(r * Math.sin(theta), 12);
    }
  });

  it("spirals with noise keep the radius and perturb the angle", () => {
    const d = loadDataset("spirals", { seed: 3, dtype: "f64", samples: 300, noise: 0.3 });
    let off = 0;
    for (const p of points(d)) {
      const r = Math.hypot(p.x, p.y);
      const theta = (2 * Math.PI * p.label) / 3 + 4 * r;
      if (Math.abs(p.x - r * Math.cos(theta)) > 1e-9) off++;
    }
    expect(off).toBeGreaterThan(250);
  });

  it("moons with noise 0 lie on the two (centred) sklearn half circles", () => {
    const d = loadDataset("moons", { seed: 3, dtype: "f64", samples: 200, noise: 0 });
    let sx = 0;
    let sy = 0;
    for (const p of points(d)) {
      // sklearn coordinates: shift back by (0.5, 0.25)
      const x = p.x + 0.5;
      const y = p.y + 0.25;
      if (p.label === 0) {
        expect(Math.hypot(x, y)).toBeCloseTo(1, 12);
        expect(y).toBeGreaterThanOrEqual(-1e-12);
      } else {
        expect(Math.hypot(x - 1, y - 0.5)).toBeCloseTo(1, 12);
        expect(y).toBeLessThanOrEqual(0.5 + 1e-12);
      }
      sx += p.x;
      sy += p.y;
    }
    expect(Math.abs(sx / 200)).toBeLessThan(1e-9);
    expect(Math.abs(sy / 200)).toBeLessThan(0.01);
    // both ends of each half circle are included (linspace with endpoint)
    const xs = points(d)
      .filter((p) => p.label === 0)
      .map((p) => p.x + 0.5);
    expect(Math.max(...xs)).toBeCloseTo(1, 12);
    expect(Math.min(...xs)).toBeCloseTo(-1, 12);
  });

  it("xor labels are 1 exactly where x * y > 0, inside [-1, 1]^2", () => {
    const d = loadDataset("xor", { seed: 9, dtype: "f64", samples: 500, noise: 0 });
    for (const p of points(d)) {
      expect(p.label).toBe(p.x * p.y > 0 ? 1 : 0);
      expect(Math.abs(p.x)).toBeLessThanOrEqual(1);
      expect(Math.abs(p.y)).toBeLessThanOrEqual(1);
    }
  });

  it("blobs with noise 0 sit on their centres, evenly spaced on a circle of radius 0.75", () => {
    const d = loadDataset("blobs", { seed: 3, dtype: "f64", samples: 60, noise: 0, classes: 6 });
    for (const p of points(d)) {
      const a = (2 * Math.PI * p.label) / 6;
      expect(p.x).toBeCloseTo(0.75 * Math.cos(a), 14);
      expect(p.y).toBeCloseTo(0.75 * Math.sin(a), 14);
    }
  });

  it("noise has the documented standard deviation (blobs)", () => {
    const d = loadDataset("blobs", {
      seed: 3,
      dtype: "f64",
      samples: 20000,
      noise: 0.2,
      classes: 2,
    });
    let s = 0;
    let n = 0;
    for (const p of points(d)) {
      const cx = p.label === 0 ? 0.75 : -0.75;
      s += (p.x - cx) ** 2 + p.y ** 2;
      n += 2;
    }
    expect(Math.sqrt(s / n)).toBeCloseTo(0.2, 2);
  });

  it("raw 2-D coordinates stay roughly in [-1, 1] (moons in [-1.5, 1.5])", () => {
    for (const name of ["spirals", "circles", "xor", "blobs", "moons"] as const) {
      const d = loadDataset(name, { seed: 1, dtype: "f64", noise: 0 });
      const limit = name === "moons" ? 1.5 : 1;
      for (const p of points(d)) {
        expect(Math.abs(p.x)).toBeLessThanOrEqual(limit + 1e-12);
        expect(Math.abs(p.y)).toBeLessThanOrEqual(1 + 1e-12);
      }
    }
  });
});
