import { describe, expect, it } from "vitest";
import { ConfigError, resolveProbeConfig } from "./config.ts";
import { depthSweep, fitGrowthFactor } from "./depth-sweep.ts";
import { runProbe } from "./probe-run.ts";

describe("depthSweep", () => {
  it("a linear orthogonal network passes the same gradient to layer 1 at every depth", () => {
    const config = resolveProbeConfig({ activation: "identity", init: "orthogonal", width: 32 });
    const r = depthSweep(config, { maxDepth: 10 });
    expect(r.rows.map((row) => row.depth)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const g = r.rows[0]!.gradPreactMeanSq1;
    for (const row of r.rows) {
      expect(Math.abs(row.gradPreactMeanSq1 / g - 1)).toBeLessThan(1e-12);
      expect(Math.abs(row.firstToLastRatio - 1)).toBeLessThan(1e-12);
    }
    expect(Math.abs(r.perLayerFactor - 1)).toBeLessThan(1e-12);
    expect(r.config.depth).toBe(10);
  });

  it("sigmoid with standard-uniform weights loses a constant factor per layer, as the probe says", () => {
    const config = resolveProbeConfig({
      activation: "sigmoid",
      init: "standard-uniform",
      width: 64,
      batch: 32,
    });
    const r = depthSweep(config, { minDepth: 2, maxDepth: 15 });
    expect(r.rows).toHaveLength(14);
    expect(r.rows[0]!.depth).toBe(2);
    // Every added layer multiplies E[dz^2] at layer 1 by about chi1 = sigma_w^2 E[sigmoid'^2]
    // ~ (1/3)(1/16) ~ 0.02 (standard-uniform weights have sigma_w^2 = 1/3).
    expect(r.perLayerFactor).toBeLessThan(0.05);
    expect(r.perLayerFactor).toBeGreaterThan(0.005);
    for (let i = 1; i < r.rows.length; i++) {
      expect(r.rows[i]!.gradPreactMeanSq1).toBeLessThan(r.rows[i - 1]!.gradPreactMeanSq1);
    }
    // The across-depth fit and the within-network fit of the deepest probe agree.
    const deepest = runProbe({ ...config, depth: 15 });
    expect(Math.abs(r.perLayerFactor / deepest.summary.perLayerFactor - 1)).toBeLessThan(0.1);
    // ||dW||^2 carries E[dz^2], so its factor is about the square root.
    expect(Math.abs(r.perLayerNormFactor / Math.sqrt(r.perLayerFactor) - 1)).toBeLessThan(0.1);
  });

  it("reports progress and rejects bad depth ranges with a ConfigError", () => {
    const config = resolveProbeConfig({ width: 8, batch: 4 });
    const seen: number[] = [];
    depthSweep(config, { maxDepth: 3, onDepth: (d) => seen.push(d) });
    expect(seen).toEqual([1, 2, 3]);
    expect(() => depthSweep(config, { maxDepth: 0 })).toThrow(ConfigError);
    expect(() => depthSweep(config, { minDepth: 5, maxDepth: 3 })).toThrow(ConfigError);
    expect(() => depthSweep(config, { minDepth: 1.5 })).toThrow(ConfigError);
  });
});

describe("fitGrowthFactor", () => {
  it("recovers an exact geometric rate and skips zeros and non-finite points", () => {
    const points: [number, number][] = [1, 2, 3, 4, 5].map((x) => [x, 3 * 0.5 ** x]);
    expect(fitGrowthFactor(points)).toBeCloseTo(0.5, 14);
    expect(fitGrowthFactor([...points, [6, 0], [7, Number.POSITIVE_INFINITY]])).toBeCloseTo(
      0.5,
      14,
    );
    expect(fitGrowthFactor([[1, 2]])).toBeNaN();
  });
});
