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
    const g = phaseGrid(9, 1.2);
    expect(g.weightVars[45]).toBe(16);
    expect(g.biasVars[25]).toBe(2);
    // Room for the marker's label: at most three quarters of the way across.
    expect(phaseGrid(3.5, 0).weightVars[45]).toBe(8);
    expect(phaseGrid(3, 0).weightVars[45]).toBe(4);
    expect(g.inside).toBe(true);
    const small = phaseGrid(0.1, 0);
    expect(small.weightVars[0]).toBe(0.0625);
    expect(small.inside).toBe(true);
  });

  it("widens to show the critical line too", () => {
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
