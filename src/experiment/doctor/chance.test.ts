import { describe, expect, it } from "vitest";
import { Mat } from "../../core/mat.ts";
import type { Dataset } from "../datasets/dataset.ts";
import { loadDataset } from "../datasets/index.ts";
import { chanceOf } from "./chance.ts";

describe("chance on a test set", () => {
  it("classification: the share of the most common test class", () => {
    const data = loadDataset("spirals", { seed: 0, dtype: "f64" });
    const test = data.labels!.test;
    const counts = [0, 0, 0];
    for (const c of test) counts[c]! += 1;
    const chance = chanceOf(data);
    expect(chance.loss).toBeNull();
    expect(chance.accuracy).toBe(Math.max(...counts) / test.length);
    // three classes: at least a third
    expect(chance.accuracy!).toBeGreaterThanOrEqual(1 / 3);
    expect(chance.accuracy!).toBeLessThan(0.45);
  });

  it("regression: the mean squared error of predicting the training targets' mean", () => {
    const data = {
      name: "toy",
      task: "regression",
      inputDim: 1,
      outputDim: 2,
      trainX: Mat.zeros(2, 1),
      trainY: Mat.from([
        [1, 10],
        [3, 20],
      ]),
      testX: Mat.zeros(2, 1),
      testY: Mat.from([
        [2, 15],
        [4, 25],
      ]),
      description: "",
    } satisfies Dataset;
    // mean (2, 15); errors (0, 0) and (2, 10): (0 + 0 + 4 + 100) / 4
    expect(chanceOf(data)).toEqual({ accuracy: null, loss: 26 });
  });
});
