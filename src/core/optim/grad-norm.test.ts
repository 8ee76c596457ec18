import { describe, expect, it } from "vitest";
import { gradNorm } from "./grad-norm.ts";
import { rowParam } from "./test-params.ts";

describe("gradNorm", () => {
  it("is the Euclidean norm over all gradient entries", () => {
    const params = [rowParam("a", [0, 0], [3, 0]), rowParam("b", [0], [-4])];
    expect(gradNorm(params)).toBe(5);
    expect(gradNorm(params, 1, 2)).toBe(4);
    expect(gradNorm([])).toBe(0);
  });

  it("survives overflow and underflow of the squares", () => {
    expect(gradNorm([rowParam("a", [0, 0], [3e200, -4e200])])).toBeCloseTo(5e200, -186);
    expect(gradNorm([rowParam("a", [0, 0], [3e-200, -4e-200])]) / 5e-200).toBeCloseTo(1, 15);
    expect(gradNorm([rowParam("a", [0, 0], [5e-324, 0])])).toBe(5e-324);
    // float32: 1e-30 squared is fine in float64
    expect(gradNorm([rowParam("a", [0, 0], [3e-30, 4e-30], "f32")]) / 5e-30).toBeCloseTo(1, 6);
    // the true norm of two max doubles overflows the range
    expect(gradNorm([rowParam("a", [0, 0], [1.7e308, 1.7e308])])).toBe(Infinity);
  });

  it("reports NaN and Infinity", () => {
    expect(gradNorm([rowParam("a", [0, 0], [1, Number.NaN])])).toBeNaN();
    expect(gradNorm([rowParam("a", [0, 0], [Infinity, Number.NaN])])).toBeNaN();
    expect(gradNorm([rowParam("a", [0, 0], [1, -Infinity])])).toBe(Infinity);
  });
});
