import { describe, expect, it } from "vitest";
import { Rng } from "../rng.ts";
import { orthonormalizeRows } from "./orthonormal-rows.ts";

function gramError(g: Float64Array, k: number, m: number): number {
  let worst = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += g[i * m + t]! * g[j * m + t]!;
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

describe("orthonormalizeRows", () => {
  for (const [k, m] of [
    [1, 5],
    [3, 3],
    [33, 40],
    [70, 70],
    [100, 257],
  ] as const) {
    it(`makes ${k} rows of length ${m} orthonormal to 1e-13`, () => {
      const g = new Float64Array(k * m);
      new Rng(k + m).fillNormal(g);
      const original = g.slice();
      orthonormalizeRows(g, k, m);
      expect(gramError(g, k, m)).toBeLessThan(1e-13);
      // Row i stays in the span of original rows 0..i with a positive component along row i
      // orthogonal to the earlier ones (Gram-Schmidt order): its dot with original row i is > 0.
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let t = 0; t < m; t++) s += g[i * m + t]! * original[i * m + t]!;
        expect(s).toBeGreaterThan(0);
      }
    });
  }
  it("rejects dependent rows and too many rows", () => {
    expect(() => orthonormalizeRows(Float64Array.from([1, 2, 2, 4]), 2, 2)).toThrow(/dependent/);
    expect(() => orthonormalizeRows(new Float64Array(6), 3, 2)).toThrow(/cannot be orthonormal/);
  });
});
