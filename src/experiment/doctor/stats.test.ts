import { describe, expect, it } from "vitest";
import { clears, direction, noiseOf, spreadOf } from "./stats.ts";

describe("doctor statistics", () => {
  it("spread: mean, sample standard deviation, extremes", () => {
    const s = spreadOf([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 15);
    expect([s.min, s.max, s.n]).toEqual([1, 4, 4]);
    expect(spreadOf([7]).sd).toBe(0);
    expect(spreadOf([]).n).toBe(0);
    expect(spreadOf([1, Number.POSITIVE_INFINITY]).mean).toBe(Number.POSITIVE_INFINITY);
  });

  it("noise: 2 standard errors of the mean; none for one value", () => {
    // sd of [0, 0.6] = 0.4243, se = 0.3, 2 se = 0.6
    expect(noiseOf([0, 0.6])).toBeCloseTo(0.6, 12);
    expect(noiseOf([0.3])).toBe(0);
  });

  it("clears a margin only beyond the noise, never with a non-finite difference", () => {
    expect(clears([0.1, 0.1, 0.1], 0.07)).toBe(true);
    expect(clears([0.06, 0.06, 0.06], 0.07)).toBe(false);
    // mean 0.19 but 2 SE 0.35
    expect(clears([0.01, 0.02, 0.54], 0.07)).toBe(false);
    expect(clears([0.5, Number.POSITIVE_INFINITY], 0.07)).toBe(false);
    expect(clears([], 0)).toBe(false);
    expect(direction([-0.2, -0.21, -0.19], 0.07)).toBe(-1);
    expect(direction([0.2, 0.21, 0.19], 0.07)).toBe(1);
    expect(direction([0.2, -0.21, 0.19], 0.07)).toBe(0);
  });
});
