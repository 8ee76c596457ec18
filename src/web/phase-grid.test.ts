import { describe, expect, it } from "vitest";
import { phaseGrid } from "./phase-grid.ts";

describe("phaseGrid", () => {
  it("is the CLI's --plot grid when the network lies inside it", () => {
    const g = phaseGrid(1.5, 0.05);
    expect(g.inside).toBe(true);
    expect(g.weightVars).toHaveLength(46);
    expect(g.weightVars[0]).toBe(0.25);
    expect(g.weightVars[45]).toBe(4);
    expect(g.weightVars[1]).toBeCloseTo(0.25 + 3.75 / 45, 15);
    expect(g.biasVars).toHaveLength(26);
    expect(g.biasVars[25]).toBe(0.5);
  });

  it("widens by powers of two to hold the marker", () => {
    const g = phaseGrid(2.5, 1.2);
    expect(g.weightVars[45]).toBe(4);
    expect(g.biasVars[25]).toBe(2);
    // Room for the marker's label: at most three quarters of the way across.
    expect(phaseGrid(3.5, 0).weightVars[45]).toBe(8);
    expect(phaseGrid(3, 0).weightVars[45]).toBe(4);
    expect(g.inside).toBe(true);
    const small = phaseGrid(0.1, 0);
    expect(small.weightVars[0]).toBe(0.0625);
    expect(small.inside).toBe(true);
  });

  it("steps geometrically past 1.6 decades, the figure's log axis", () => {
    // 0.25..8 (ratio 32) stays linear; 0.25..16 (64) does not.
    expect(phaseGrid(5, 0).weightVars[1]).toBeCloseTo(0.25 + 7.75 / 45, 15);
    // 9 sits at log(36)/log(64) = 0.86 of a 0.25..16 log axis: widen to 32 (0.72).
    const g = phaseGrid(9, 0);
    expect(g.weightVars[0]).toBe(0.25);
    expect(g.weightVars[45]).toBe(32);
    expect(g.weightVars[1]! / g.weightVars[0]!).toBeCloseTo(128 ** (1 / 45), 12);
    expect(g.weightVars[23]! / g.weightVars[22]!).toBeCloseTo(128 ** (1 / 45), 12);
    expect(g.inside).toBe(true);
    // Small sigma_w^2 widens the low end: 0.0078125..4 is geometric too.
    const small = phaseGrid(0.01, 0);
    expect(small.weightVars[0]).toBe(2 ** -7);
    expect(small.weightVars[45]).toBe(4);
    expect(small.weightVars[1]! / small.weightVars[0]!).toBeCloseTo(512 ** (1 / 45), 12);
  });

  it("keeps the sigmoid's critical line (~103) short of the right edge", () => {
    // 128 would put it at log(412)/log(512) = 0.965 of the axis; 256 at 0.87.
    const g = phaseGrid(1, 0, 103);
    expect(g.weightVars[45]).toBe(256);
    expect(g.weightVars[1]! / g.weightVars[0]!).toBeCloseTo(1024 ** (1 / 45), 12);
  });

  it("widens to show the critical line too", () => {
    expect(phaseGrid(1, 0, 3.8).weightVars[45]).toBe(8);
    expect(phaseGrid(1, 0, 17.2).weightVars[45]).toBe(32);
    expect(phaseGrid(1, 0, Number.NaN).weightVars[45]).toBe(4);
    expect(phaseGrid(1, 0, 1e9).weightVars[45]).toBe(1024);
  });

  it("says when the marker cannot be shown", () => {
    expect(phaseGrid(0, 0).inside).toBe(false);
    expect(phaseGrid(1e6, 0).inside).toBe(false);
    expect(phaseGrid(Number.NaN, 0).inside).toBe(false);
  });
});
