import { describe, expect, it } from "vitest";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { loadDataset } from "./load.ts";
import { createTeacher, teacherForward, teacherSamples } from "./teacher.ts";

describe("teacher-student regression", () => {
  it("the teacher's forward pass is tanh(x W1^T + b1) then a linear readout", () => {
    const shape = { inputDim: 3, outputDim: 2, depth: 1, width: 4 };
    const layers = createTeacher(shape, new Rng(11));
    expect(layers.map((l) => [l.W.rows, l.W.cols, l.activation])).toEqual([
      [4, 3, "tanh"],
      [2, 4, "identity"],
    ]);
    expect(Array.from(layers[1]!.b.data)).toEqual([0, 0]);
    const x = Mat.from([
      [0.5, -1, 2],
      [0, 0.25, -0.75],
    ]);
    const y = teacherForward(layers, x);
    const [W1, W2] = [layers[0]!.W.toArray(), layers[1]!.W.toArray()];
    const b1 = Array.from(layers[0]!.b.data);
    for (let r = 0; r < 2; r++) {
      const h = W1.map((w, o) => Math.tanh(w.reduce((s, v, i) => s + v * x.get(r, i), b1[o]!)));
      for (let o = 0; o < 2; o++) {
        expect(y.get(r, o)).toBeCloseTo(
          W2[o]!.reduce((s, v, i) => s + v * h[i]!, 0),
          14,
        );
      }
    }
  });

  it("weights have variance 1/fan_in", () => {
    const [layer] = createTeacher(
      { inputDim: 400, outputDim: 1, depth: 1, width: 400 },
      new Rng(5),
    );
    const w = Array.from(layer!.W.data);
    const mean = w.reduce((s, v) => s + v * v, 0) / w.length;
    expect(mean * 400).toBeCloseTo(1, 1);
  });

  it("targets are the teacher applied to the inputs; the teacher depends on its own seed only", () => {
    const shape = { inputDim: 5, outputDim: 2, depth: 2, width: 8 };
    for (const dataSeed of [1, 2]) {
      const s = teacherSamples(50, shape, 0, new Rng(dataSeed), new Rng(99));
      const x = new Mat(50, 5, Float64Array.from(s.x));
      const y = teacherForward(createTeacher(shape, new Rng(99)), x);
      expect(Array.from(s.y)).toEqual(Array.from(y.data));
    }
  });

  it("loadDataset('teacher') honours the shape options and is deterministic", () => {
    const opts = {
      seed: 4,
      dtype: "f64" as const,
      samples: 100,
      inputDim: 6,
      outputDim: 3,
      teacherDepth: 3,
      teacherWidth: 16,
    };
    const d = loadDataset("teacher", opts);
    expect([d.inputDim, d.outputDim, d.trainX.cols, d.trainY.cols]).toEqual([6, 3, 6, 3]);
    expect(d.description).toContain("6-16-16-16-3");
    expect(Array.from(loadDataset("teacher", opts).trainY.data)).toEqual(Array.from(d.trainY.data));
    const ys = Array.from(d.trainY.data);
    const std = Math.sqrt(ys.reduce((s, v) => s + v * v, 0) / ys.length);
    expect(std).toBeGreaterThan(0.05);
    expect(std).toBeLessThan(3);
  });

  it("a fixed teacherSeed keeps the function across data seeds; noise perturbs the targets", () => {
    // depth 0: a linear teacher y = x W^T, recoverable from the data by least squares on 1 input
    const a = loadDataset("teacher", {
      seed: 1,
      teacherSeed: 42,
      dtype: "f64",
      inputDim: 1,
      teacherDepth: 0,
    });
    const b = loadDataset("teacher", {
      seed: 2,
      teacherSeed: 42,
      dtype: "f64",
      inputDim: 1,
      teacherDepth: 0,
    });
    const slope = (d: typeof a) => d.trainY.get(0, 0) / d.trainX.get(0, 0);
    expect(slope(a)).toBeCloseTo(slope(b), 12);
    expect(a.trainX.get(0, 0)).not.toBe(b.trainX.get(0, 0));
    const noisy = loadDataset("teacher", {
      seed: 1,
      teacherSeed: 42,
      dtype: "f64",
      inputDim: 1,
      teacherDepth: 0,
      noise: 0.1,
    });
    expect(Array.from(noisy.trainX.data)).toEqual(Array.from(a.trainX.data));
    const diff = Array.from(noisy.trainY.data).map((v, i) => v - a.trainY.data[i]!);
    const std = Math.sqrt(diff.reduce((s, v) => s + v * v, 0) / diff.length);
    expect(std).toBeCloseTo(0.1, 1);
  });
});
