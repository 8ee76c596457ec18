import { describe, expect, it } from "vitest";
import { resolveProbeConfig } from "../experiment/config.ts";
import { runProbe } from "../experiment/probe-run.ts";
import type { LayerMetrics } from "../probe/layer-metrics.ts";
import { summarize } from "./summary.ts";

function layer(i: number, fields: Partial<LayerMetrics> = {}): LayerMetrics {
  return {
    layer: i,
    q: 1,
    gradPreactMeanSq: 1,
    gradWeightNorm: 1,
    gradBiasNorm: 1,
    weightNorm: 1,
    gradToWeight: 1e-3,
    actMean: 0,
    actStd: 1,
    saturated: 0,
    lowDerivative: 0,
    inactive: 0,
    dead: 0,
    nonfinite: 0,
    subnormal: 0,
    underflow: false,
    ...fields,
  };
}

describe("summarize: a mean of squares that overflows with finite entries", () => {
  it("calls equal layers healthy (the control)", () => {
    const s = summarize([layer(1), layer(2), layer(3)]);
    expect(s.verdict).toBe("healthy");
    expect(s.overflowLayers).toEqual([]);
  });

  it("calls an Infinity q or gradPreactMeanSq without NaN/Inf entries exploding", () => {
    // Ratio 1 alone would say healthy: only the overflowed statistics tell.
    const s = summarize([
      layer(1, { gradPreactMeanSq: Number.POSITIVE_INFINITY }),
      layer(2),
      layer(3, { q: Number.POSITIVE_INFINITY }),
      layer(4, { q: Number.POSITIVE_INFINITY }),
    ]);
    expect(s.verdict).toBe("exploding");
    expect(s.overflowLayers).toEqual([1, 3, 4]);
    expect(s.nonfiniteLayers).toEqual([]);
    expect(s.message).toMatch(/reaches the float limit in layers 1, 3-4/);
  });

  it("is exploding, not vanishing, when the gradient norms overflow (ratio Inf/Inf = NaN)", () => {
    const inf = Number.POSITIVE_INFINITY;
    const s = summarize([
      layer(1, { gradWeightNorm: inf, gradPreactMeanSq: inf }),
      layer(2, { gradWeightNorm: inf, gradPreactMeanSq: inf }),
    ]);
    expect(Number.isNaN(s.firstToLastRatio)).toBe(true);
    expect(s.verdict).toBe("exploding");
  });

  it("leaves counted NaN/Inf entries to the non-finite verdict", () => {
    const s = summarize([layer(1, { q: Number.POSITIVE_INFINITY, nonfinite: 3 }), layer(2)]);
    expect(s.verdict).toBe("non-finite");
    expect(s.overflowLayers).toEqual([]);
  });

  it("flags a real float64 probe whose signal exceeds 1e154 (identity, weight variance 1e6, depth 60)", () => {
    const config = resolveProbeConfig({
      dtype: "f64",
      weightVar: 1e6,
      depth: 60,
      activation: "identity",
      init: "normal",
      width: 4,
      batch: 4,
      seed: 60,
    });
    const { layers, summary } = runProbe(config);
    // the premise: every entry finite, yet some mean of squares is Infinity
    expect(layers.every((m) => m.nonfinite === 0)).toBe(true);
    expect(layers.some((m) => m.q === Number.POSITIVE_INFINITY)).toBe(true);
    expect(summary.verdict).toBe("exploding");
    expect(summary.overflowLayers.length).toBeGreaterThan(0);
    expect(summary.message).toMatch(/^exploding: the mean square .* reaches the float limit/);
    expect(summary.message).not.toMatch(/[\r\n]/);
  });
});
