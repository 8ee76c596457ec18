import { describe, expect, it } from "vitest";
import { resolveProbeConfig } from "../experiment/config.ts";
import { runProbe } from "../experiment/probe-run.ts";
import { fitPerLayerFactor } from "../verdict/summary.ts";
import { batchNormGradientFactor } from "./batch-norm.ts";

describe("batch-norm gradient factor", () => {
  it("closed forms", () => {
    expect(batchNormGradientFactor("identity", 16)).toBe(14 / 13);
    expect(batchNormGradientFactor("relu", 1e9)).toBeCloseTo(Math.PI / (Math.PI - 1), 8);
    expect(batchNormGradientFactor("tanh", 64)).toBeNaN();
    expect(batchNormGradientFactor("identity", 3)).toBeNaN();
  });
  // Measured: width 512, depth 40, fitted over layers 6..40 (away from the loss and input).
  const cases = [
    { activation: "identity", batch: 16, tolerance: 0.015 },
    { activation: "identity", batch: 64, tolerance: 0.01 },
    { activation: "relu", batch: 64, tolerance: 0.03 },
  ] as const;
  for (const c of cases) {
    it(`${c.activation}, batch ${c.batch}: measured per-layer factor matches`, () => {
      const r = runProbe(
        resolveProbeConfig({
          depth: 40,
          width: 512,
          batch: c.batch,
          activation: c.activation,
          init: "normal",
          weightVar: 2,
          batchNorm: true,
        }),
      );
      const measured = fitPerLayerFactor(r.layers.slice(5));
      const predicted = batchNormGradientFactor(c.activation, c.batch);
      expect(Math.abs(measured / predicted - 1)).toBeLessThan(c.tolerance);
    });
  }
});
