import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.ts";
import {
  countNonFinite,
  countSubnormal,
  l2Norm,
  meanSquare,
  meanStd,
  summarizeTensor,
} from "./stats.ts";

describe("float64 statistics", () => {
  it("l2Norm is exact across the whole range of doubles", () => {
    expect(l2Norm(Float64Array.from([3, 4]))).toBe(5);
    expect(l2Norm(Float64Array.from([3e-200, 4e-200]))).toBeCloseTo(5e-200, 213);
    expect(l2Norm(Float64Array.from([3e-200, 4e-200])) / 5e-200).toBeCloseTo(1, 14);
    expect(l2Norm(Float64Array.from([3e200, 4e200])) / 5e200).toBeCloseTo(1, 14);
    expect(l2Norm(Float64Array.from([0, 0]))).toBe(0);
    expect(l2Norm(Float64Array.from([1, Number.NaN]))).toBeNaN();
    expect(l2Norm(Float64Array.from([1, Number.POSITIVE_INFINITY]))).toBe(Number.POSITIVE_INFINITY);
    // float32 subnormal gradients keep their norm
    expect(
      l2Norm(Float32Array.from([1e-40, 1e-40])) / (Math.fround(1e-40) * Math.SQRT2),
    ).toBeCloseTo(1, 12);
  });
  it("mean square, mean/std, counts", () => {
    expect(meanSquare(Float64Array.from([1, 2, 3]))).toBeCloseTo(14 / 3, 15);
    const { mean, std } = meanStd(Float64Array.from([1, 2, 3, 4]));
    expect(mean).toBe(2.5);
    expect(std).toBeCloseTo(Math.sqrt(1.25), 15);
    expect(countNonFinite(Float64Array.from([1, Number.NaN, Number.NEGATIVE_INFINITY]))).toBe(2);
    expect(countSubnormal(Float32Array.from([1e-40, 1e-30, 0]), 1.1754943508222875e-38)).toBe(1);
  });
  it("summarizeTensor agrees with the separate two-pass functions", () => {
    const rng = new Rng(4);
    for (const [offset, scale] of [
      [0, 1],
      [1e6, 1],
      [0, 1e-170],
      [0, 1e170],
    ] as const) {
      const x = new Float64Array(1000);
      rng.fillNormal(x, offset, scale);
      const s = summarizeTensor(x, 2.2250738585072014e-308);
      const ref = meanStd(x);
      expect(s.mean / ref.mean).toBeCloseTo(1, 12);
      expect(s.std / ref.std).toBeCloseTo(1, 9);
      expect(s.norm / l2Norm(x)).toBeCloseTo(1, 12);
    }
    const s = summarizeTensor(
      Float64Array.from([1, Number.NaN, Number.POSITIVE_INFINITY, 1e-310]),
      2.2250738585072014e-308,
    );
    expect(s.nonfinite).toBe(2);
    expect(s.subnormal).toBe(1);
  });
});
