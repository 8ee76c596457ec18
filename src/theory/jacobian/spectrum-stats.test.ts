import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jacobianSpectrum, spectrumStats } from "./jacobian.ts";

/** A spectrum of n values in any order: some exact zeros, subnormals and huge spreads. */
const spectrum = fc
  .array(
    fc.oneof(
      fc.constant(0),
      fc.double({ min: 5e-324, max: 2.2e-308, noNaN: true }),
      fc.double({ min: 1e-300, max: 1e300, noNaN: true }),
      fc.double({ min: 0.5, max: 2, noNaN: true }),
    ),
    { minLength: 1, maxLength: 60 },
  )
  .filter((v) => v.every((x) => x >= 0));

describe("spectrumStats over generated spectra", () => {
  it("returns the values descending, max and min as the extremes, rank as the count above max * n * eps", () => {
    fc.assert(
      fc.property(spectrum, (values) => {
        const s = spectrumStats(values);
        const sorted = [...values].sort((a, b) => b - a);
        expect(s.singularValues).toEqual(sorted);
        expect(s.max).toBe(sorted[0]);
        expect(s.min).toBe(sorted[sorted.length - 1]);
        const tol = sorted[0]! * values.length * Number.EPSILON;
        expect(s.rankTolerance).toBe(tol);
        expect(s.numericalRank).toBe(values.filter((v) => v > tol).length);
        if (s.numericalRank === values.length && s.max > 0) {
          // Full rank: a finite condition number, max / min.
          expect(Number.isFinite(s.conditionNumber)).toBe(true);
          expect(s.conditionNumber).toBe(s.max / s.min);
        } else {
          expect(s.conditionNumber).toBe(Number.POSITIVE_INFINITY);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a full-rank spectrum with a huge but resolvable condition number stays full rank", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 500 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: 1, max: 1e12, noNaN: true }),
        (n, top, cond) => {
          // n values log-spaced from top down to top / cond: cond < 1 / (n eps) for n <= 500.
          const values = Array.from({ length: n }, (_, i) => top / cond ** (i / (n - 1)));
          const s = spectrumStats(values.reverse());
          expect(s.numericalRank).toBe(n);
          expect(Number.isFinite(s.conditionNumber)).toBe(true);
          expect(s.conditionNumber).toBeCloseTo(cond, -Math.log10(cond) + 6);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("NaN in the spectrum gives a NaN condition number, not a finite one", () => {
    const s = spectrumStats([2, Number.NaN, 1]);
    expect(s.conditionNumber).toBeNaN();
    expect(s.max).toBe(2);
    expect(s.min).toBe(1);
  });

  it("jacobian --depth 20 --width 400 --init orthogonal is full rank with a finite condition number", () => {
    for (const activation of ["tanh", "identity"] as const) {
      const s = jacobianSpectrum({ activation, init: "orthogonal", depth: 20, width: 400 });
      expect(s.numericalRank).toBe(400);
      expect(Number.isFinite(s.conditionNumber)).toBe(true);
      expect(s.min).toBeGreaterThan(s.rankTolerance);
    }
  }, 60_000);
});
