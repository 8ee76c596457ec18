import { describe, expect, it } from "vitest";
import { clipLayerNorm } from "./clip-layer-norm.ts";
import { rowParam } from "./test-params.ts";

describe("clipLayerNorm", () => {
  it("clips each tensor on its own and reports norms", () => {
    const big = rowParam("a", [0, 0], [30, 40]); // norm 50
    const small = rowParam("b", [0, 0], [0.3, 0.4]); // norm 0.5
    const bad = rowParam("c", [0], [Number.NaN]);
    const norms = new Float64Array(3);
    const r = clipLayerNorm([big, small, bad], 1, norms);
    expect(r).toEqual({ clipped: 1, nonfinite: 1, largestNorm: 50 });
    expect(norms[0]).toBe(50);
    expect(norms[1]).toBeCloseTo(0.5, 15);
    expect(norms[2]).toBeNaN();
    expect(big.grad.data[0]).toBeCloseTo(30 / 50.000001, 15);
    expect(big.grad.data[1]).toBeCloseTo(40 / 50.000001, 15);
    expect(Array.from(small.grad.data)).toEqual([0.3, 0.4]);
    expect(Math.hypot(big.grad.data[0]!, big.grad.data[1]!)).toBeCloseTo(1, 6);
  });

  it("differs from global clipping: every tensor ends at the threshold", () => {
    const a = rowParam("a", [0], [3]);
    const b = rowParam("b", [0], [-4]);
    expect(clipLayerNorm([a, b], 2).clipped).toBe(2);
    expect(a.grad.data[0]).toBeCloseTo((2 * 3) / 3.000001, 15);
    expect(b.grad.data[0]).toBeCloseTo((-2 * 4) / 4.000001, 15);
  });

  it("validates its arguments", () => {
    expect(() => clipLayerNorm([], -1)).toThrow(/maxNorm/);
    expect(() => clipLayerNorm([rowParam("a", [0], [1])], 1, new Float64Array(0))).toThrow(/norms/);
  });
});
