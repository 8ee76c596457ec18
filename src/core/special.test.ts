import { describe, expect, it } from "vitest";
import { erf, erfc, normalCdf, normalPdf } from "./special.ts";

// Reference values from high-precision tables (Abramowitz & Stegun 7.1; Wolfram to 17 digits).
const cases: [number, number][] = [
  [0.1, 0.1124629160182849],
  [0.5, 0.5204998778130465],
  [1, 0.8427007929497149],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [3, 0.9999779095030014],
];

describe("erf / erfc", () => {
  it("matches tabulated erf values to 1e-15", () => {
    for (const [x, want] of cases) {
      expect(Math.abs(erf(x) - want)).toBeLessThan(1e-15);
      expect(Math.abs(erf(-x) + want)).toBeLessThan(1e-15);
    }
  });
  it("keeps full relative accuracy in the tail", () => {
    // erfc(5) = 1.53745979442803485e-12, erfc(10) = 2.088487583762545e-45
    expect(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(erfc(10) / 2.088487583762545e-45 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(erfc(2) / 0.004677734981047266 - 1)).toBeLessThan(1e-13);
  });
  it("normal cdf and pdf", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(Math.abs(normalCdf(1.96) - 0.9750021048517795)).toBeLessThan(1e-15);
    expect(Math.abs(normalCdf(-8) / 6.22096057427178e-16 - 1)).toBeLessThan(1e-12);
    expect(normalPdf(0)).toBeCloseTo(0.3989422804014327, 15);
  });
});
