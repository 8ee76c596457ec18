import { describe, expect, it } from "vitest";
import { brent } from "./roots.ts";

describe("brent", () => {
  it("finds roots to a few ulps", () => {
    const r = brent((x) => x * x - 2, 0, 2);
    expect(r.converged).toBe(true);
    expect(Math.abs(r.root - Math.SQRT2)).toBeLessThan(4e-16);
    expect(Math.abs(brent(Math.cos, 1, 2).root - Math.PI / 2)).toBeLessThan(4e-16);
    // A flat, one-sided function: still bracketed to ulps.
    const flat = brent((x) => (x < 1 ? x - 1 : (x - 1) ** 3), 0, 3);
    expect(Math.abs(flat.root - 1)).toBeLessThan(1e-5);
  });

  it("rejects a non-bracket and accepts endpoint roots", () => {
    expect(() => brent((x) => x * x + 1, -1, 1)).toThrow(RangeError);
    expect(brent((x) => x, 0, 1).root).toBe(0);
  });
});
