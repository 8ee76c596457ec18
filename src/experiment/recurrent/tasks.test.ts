import { describe, expect, it } from "vitest";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { addingProblem, copyTask, createSequenceTask, type SequenceTask } from "./tasks.ts";

function batchOf(
  task: SequenceTask,
  rows: number,
  seed: number,
  split: "train" | "test" = "train",
) {
  const x = Mat.zeros(rows, task.seqLen * task.inputDim);
  const y = Mat.zeros(rows, task.outputDim);
  task.sample(new Rng(seed), x, y, split);
  return { x, y };
}

describe("sequence tasks", () => {
  it("adding: two markers, one per half, target their sum; baseline 1/6", () => {
    for (const T of [10, 11, 100, 200]) {
      const task = addingProblem(T);
      const { x, y } = batchOf(task, 64, T);
      let meanSq = 0;
      for (let b = 0; b < 64; b++) {
        const marked: number[] = [];
        let sum = 0;
        for (let t = 0; t < T; t++) {
          const v = x.get(b, 2 * t);
          expect(v >= 0 && v < 1).toBe(true);
          if (x.get(b, 2 * t + 1) === 1) {
            marked.push(t);
            sum += v;
          }
        }
        expect(marked).toHaveLength(2);
        expect(marked[0]!).toBeLessThan(Math.floor(T / 2));
        expect(marked[1]!).toBeGreaterThanOrEqual(Math.floor(T / 2));
        expect(y.get(b, 0)).toBe(sum);
        meanSq += (sum - 1) ** 2 / 64;
      }
      expect(meanSq).toBeGreaterThan(0.08);
      expect(meanSq).toBeLessThan(0.3);
      expect(task.baselineLoss).toBeCloseTo(1 / 6, 15);
    }
  });

  it("copy: the first symbol is the class, then distractors and the recall marker", () => {
    const task = copyTask(20, 5);
    expect(task.inputDim).toBe(6);
    const { x, y } = batchOf(task, 32, 1);
    for (let b = 0; b < 32; b++) {
      let first = -1;
      for (let k = 0; k < 5; k++) if (x.get(b, k) === 1) first = k;
      expect(y.get(b, first)).toBe(1);
      for (let t = 1; t < 19; t++) {
        let ones = 0;
        for (let k = 0; k < 6; k++) ones += x.get(b, t * 6 + k);
        expect(ones).toBe(1);
        expect(x.get(b, t * 6 + 5)).toBe(0);
      }
      expect(x.get(b, 19 * 6 + 5)).toBe(1);
    }
    expect(task.chanceAccuracy).toBe(0.2);
  });

  it("is deterministic from the rng, and different seeds differ", () => {
    const task = addingProblem(50);
    expect(batchOf(task, 8, 3).x.data).toEqual(batchOf(task, 8, 3).x.data);
    expect(batchOf(task, 8, 3).x.data).not.toEqual(batchOf(task, 8, 4).x.data);
  });

  it("rejects a bad shape or length with one line", () => {
    expect(() => addingProblem(1)).toThrow(/seqLen must be an integer >= 2/);
    const task = copyTask(5);
    expect(() => task.sample(new Rng(0), Mat.zeros(2, 3), Mat.zeros(2, 8), "train")).toThrow(
      /expected x/,
    );
  });

  it("digits: MNIST row by row, 28 steps of 28 pixels, one-hot classes", async () => {
    const task = await createSequenceTask("digits", { samples: 200, seed: 1 });
    expect([task.seqLen, task.inputDim, task.outputDim]).toEqual([28, 28, 10]);
    for (const split of ["train", "test"] as const) {
      const { x, y } = batchOf(task, 16, 2, split);
      for (let b = 0; b < 16; b++) {
        let ones = 0;
        for (let k = 0; k < 10; k++) ones += y.get(b, k);
        expect(ones).toBe(1);
        let ink = 0;
        for (let k = 0; k < 784; k++) ink += x.get(b, k);
        expect(ink).toBeGreaterThan(10);
      }
    }
  });
});
