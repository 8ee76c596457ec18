import { describe, expect, it } from "vitest";
import type { Param } from "../layers/layer.ts";
import { clipGlobalNorm } from "./clip-global-norm.ts";
import { gradNorm } from "./grad-norm.ts";
import { randomParams, rowParam } from "./test-params.ts";

function flatGrads(params: readonly Param[]): number[] {
  return params.flatMap((p) => Array.from(p.grad.data));
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    ab += x * b[i]!;
    aa += x * x;
    bb += b[i]! ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

describe("clipGlobalNorm", () => {
  it("scales to the threshold and keeps the direction", () => {
    const params = randomParams(7, 3);
    const before = flatGrads(params);
    const norm = gradNorm(params);
    expect(norm).toBeGreaterThan(2);
    const r = clipGlobalNorm(params, 1);
    expect(r).toEqual({ norm, clipped: true, nonfinite: false, factor: 1 / (norm + 1e-6) });
    const after = gradNorm(params);
    expect(Math.abs(after - 1)).toBeLessThan(1e-6);
    expect(after).toBeLessThan(1);
    expect(Math.abs(cosine(before, flatGrads(params)) - 1)).toBeLessThan(1e-12);
  });

  it("hand-computed: grads (3, 4) clipped to norm 1", () => {
    const p = rowParam("w", [0, 0], [3, 4]);
    const r = clipGlobalNorm([p], 1);
    expect(r.norm).toBe(5);
    expect(p.grad.data[0]).toBeCloseTo(3 / 5.000001, 15);
    expect(p.grad.data[1]).toBeCloseTo(4 / 5.000001, 15);
  });

  it("leaves gradients within the threshold alone", () => {
    const params = randomParams(8);
    const before = flatGrads(params);
    const r = clipGlobalNorm(params, 1e6);
    expect(r.clipped).toBe(false);
    expect(r.factor).toBe(1);
    expect(flatGrads(params)).toEqual(before);
    expect(clipGlobalNorm(params, Infinity).clipped).toBe(false);
  });

  it("float32 gradients are clipped in place", () => {
    const params = randomParams(9, 2, "f32");
    clipGlobalNorm(params, 0.5);
    expect(params[0]!.grad.data).toBeInstanceOf(Float32Array);
    expect(Math.abs(gradNorm(params) - 0.5)).toBeLessThan(1e-6);
  });

  it("reports non-finite gradients and leaves them untouched", () => {
    const p = rowParam("w", [0, 0, 0], [3, Number.NaN, 1]);
    const r = clipGlobalNorm([p], 1);
    expect(r.nonfinite).toBe(true);
    expect(r.clipped).toBe(false);
    expect(r.norm).toBeNaN();
    expect(Array.from(p.grad.data)).toEqual([3, Number.NaN, 1]);
    const q = rowParam("w", [0, 0], [Infinity, 1]);
    const s = clipGlobalNorm([q], 1);
    expect(s).toMatchObject({ norm: Infinity, clipped: false, nonfinite: true });
    expect(Array.from(q.grad.data)).toEqual([Infinity, 1]);
  });

  it("clips finite gradients whose norm overflows float64", () => {
    const p = rowParam("w", [0, 0], [1.5e308, -1.5e308]);
    const r = clipGlobalNorm([p], 2);
    expect(r).toMatchObject({ norm: Infinity, clipped: true, nonfinite: false });
    expect(p.grad.data[0]).toBeCloseTo(Math.SQRT2, 12);
    expect(p.grad.data[1]).toBeCloseTo(-Math.SQRT2, 12);
  });

  it("clips tiny thresholds of tiny gradients (norm computed without underflow)", () => {
    const p = rowParam("w", [0, 0], [3e-170, 4e-170]);
    const r = clipGlobalNorm([p], 1e-170);
    // the +1e-6 in the factor dwarfs such norms: the factor is ~1e-164, as in PyTorch
    expect(r.clipped).toBe(true);
    expect(r.norm / 5e-170).toBeCloseTo(1, 14);
  });

  it("rejects a non-positive threshold", () => {
    expect(() => clipGlobalNorm([], 0)).toThrow(/maxNorm/);
    expect(() => clipGlobalNorm([], Number.NaN)).toThrow(/maxNorm/);
  });
});
