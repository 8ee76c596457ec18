import { describe, expect, it } from "vitest";
import { learningRate, type Schedule } from "./schedule.ts";

describe("learningRate", () => {
  it("constant", () => {
    expect(learningRate({ kind: "constant" }, 0.1, 0)).toBe(0.1);
    expect(learningRate({ kind: "constant" }, 0.1, 12345)).toBe(0.1);
  });

  it("step: gamma every stepSize steps", () => {
    const s: Schedule = { kind: "step", stepSize: 10, gamma: 0.5 };
    expect(learningRate(s, 0.8, 0)).toBe(0.8);
    expect(learningRate(s, 0.8, 9)).toBe(0.8);
    expect(learningRate(s, 0.8, 10)).toBe(0.4);
    expect(learningRate(s, 0.8, 29)).toBe(0.2);
    expect(learningRate(s, 0.8, 30)).toBe(0.1);
  });

  it("cosine: base at 0, (base + min) / 2 half way, min at the end and after", () => {
    const s: Schedule = { kind: "cosine", totalSteps: 100, minLr: 0.01 };
    expect(learningRate(s, 0.1, 0)).toBe(0.1);
    expect(learningRate(s, 0.1, 50)).toBeCloseTo(0.055, 15);
    expect(learningRate(s, 0.1, 25)).toBeCloseTo(0.01 + 0.09 * (1 + Math.SQRT1_2) * 0.5, 15);
    expect(learningRate(s, 0.1, 100)).toBeCloseTo(0.01, 15);
    expect(learningRate(s, 0.1, 1000)).toBeCloseTo(0.01, 15);
    expect(learningRate({ kind: "cosine", totalSteps: 10 }, 2, 5)).toBeCloseTo(1, 15);
    // monotone non-increasing
    let prev = Infinity;
    for (let t = 0; t <= 120; t++) {
      const lr = learningRate(s, 0.1, t);
      expect(lr).toBeLessThanOrEqual(prev);
      prev = lr;
    }
  });

  it("warmup: linear ramp (step + 1) / warmupSteps, then constant", () => {
    const s: Schedule = { kind: "warmup", warmupSteps: 4 };
    const expected = [0.05, 0.1, 0.15, 0.2, 0.2, 0.2];
    [0, 1, 2, 3, 4, 100].forEach((t, i) => {
      expect(learningRate(s, 0.2, t)).toBeCloseTo(expected[i]!, 16);
    });
    expect(learningRate({ kind: "warmup", warmupSteps: 0 }, 0.2, 0)).toBe(0.2);
  });

  it("warmup then cosine: ramp, then anneal over the remaining steps", () => {
    const s: Schedule = {
      kind: "warmup",
      warmupSteps: 10,
      after: "cosine",
      totalSteps: 110,
      minLr: 0.001,
    };
    expect(learningRate(s, 0.1, 0)).toBeCloseTo(0.01, 15);
    expect(learningRate(s, 0.1, 9)).toBeCloseTo(0.1, 15);
    expect(learningRate(s, 0.1, 10)).toBe(0.1);
    expect(learningRate(s, 0.1, 60)).toBeCloseTo(0.0505, 15);
    expect(learningRate(s, 0.1, 110)).toBeCloseTo(0.001, 15);
    expect(learningRate(s, 0.1, 500)).toBeCloseTo(0.001, 15);
  });

  it("rejects invalid schedules and steps", () => {
    expect(() => learningRate({ kind: "constant" }, 0.1, -1)).toThrow(/step/);
    expect(() => learningRate({ kind: "constant" }, 0.1, 1.5)).toThrow(/step/);
    expect(() => learningRate({ kind: "constant" }, -0.1, 0)).toThrow(/base learning rate/);
    expect(() => learningRate({ kind: "step", stepSize: 0, gamma: 0.5 }, 0.1, 0)).toThrow(
      /stepSize/,
    );
    expect(() => learningRate({ kind: "step", stepSize: 5, gamma: 0 }, 0.1, 0)).toThrow(/gamma/);
    expect(() => learningRate({ kind: "cosine", totalSteps: 0 }, 0.1, 0)).toThrow(/totalSteps/);
    expect(() =>
      learningRate({ kind: "warmup", warmupSteps: 10, after: "cosine" }, 0.1, 0),
    ).toThrow(/totalSteps/);
    expect(() => learningRate({ kind: "bogus" } as unknown as Schedule, 0.1, 0)).toThrow(
      /unknown schedule/,
    );
  });
});
