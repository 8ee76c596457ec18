import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.ts";
import {
  countNonFinite,
  countSubnormal,
  l2Norm,
  meanSquare,
  meanStd,
  meanStdFromSums,
  sumAndSquares,
  summarizeTensor,
  twoPassMeanStd,
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
      const ref = twoPassMeanStd(x);
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
  it("meanStd (one read when safe) agrees with the two-pass formula", () => {
    const rng = new Rng(9);
    for (const [offset, scale] of [
      [0, 1],
      [0.5, 1], // mean^2 below half the mean square: one read
      [3, 1], // above: two passes
      [1e6, 1],
      [0, 1e-170],
      [0, 1e170],
    ] as const) {
      for (const n of [1, 2, 999, 1000]) {
        const x = new Float64Array(n);
        rng.fillNormal(x, offset, scale);
        const a = meanStd(x);
        const b = twoPassMeanStd(x);
        expect(a.mean / b.mean).toBeCloseTo(1, 14);
        if (n === 1) expect(a.std).toBe(0);
        else expect(a.std / b.std).toBeCloseTo(1, 13);
      }
    }
    expect(meanStd(new Float64Array(0))).toEqual({ mean: 0, std: 0 });
    expect(meanStd(Float64Array.from([1, Number.NaN])).std).toBeNaN();
    const { sum, sumSq } = sumAndSquares(Float64Array.from([1, 2, 3]));
    expect([sum, sumSq]).toEqual([6, 14]);
    expect(meanStdFromSums(Float64Array.from([1, 2, 3]), 3, 6, 14).mean).toBe(2);
  });

  it("summarizeTensor counts zero, subnormal and non-finite entries at odd and even lengths", () => {
    const tiny = 1.1754943508222875e-38;
    for (const pad of [0, 1]) {
      const xs = [1, 0, 1e-40, -1e-41, Number.NaN, Number.NEGATIVE_INFINITY, 2];
      for (let i = 0; i < pad; i++) xs.push(3);
      const s = summarizeTensor(Float32Array.from(xs), tiny);
      expect([s.subnormal, s.nonfinite]).toEqual([2, 2]);
      const clean = summarizeTensor(Float32Array.from([1, 2, 3].slice(0, 2 + pad)), tiny);
      expect([clean.subnormal, clean.nonfinite]).toEqual([0, 0]);
    }
    // a subnormal last entry of an odd-length array
    expect(summarizeTensor(Float32Array.from([1, 2, 1e-40]), tiny).subnormal).toBe(1);
    // overflow of the squares alone is not a non-finite entry
    expect(summarizeTensor(Float64Array.from([1e200, 1e200, 1]), 2.2e-308).nonfinite).toBe(0);
  });
});
