import { describe, expect, it } from "vitest";
import { theoryReport } from "../theory/mean-field.ts";
import { fitPerLayerFactor } from "../verdict/summary.ts";
import { resolveProbeConfig } from "./config.ts";
import { runProbe } from "./probe-run.ts";
import {
  effectiveWeightVar,
  predictProbe,
  probeTheoryUnavailable,
  theoryUnavailable,
} from "./probe-theory.ts";

describe("mean-field prediction beside measurement (width 512, depth 60)", () => {
  const cases = [
    { activation: "tanh", weightVar: 0.8, biasVar: 0, phase: "ordered" },
    { activation: "tanh", weightVar: 2.25, biasVar: 0.05, phase: "chaotic" },
    { activation: "relu", weightVar: 1.8, biasVar: 0, phase: "ordered" },
    { activation: "relu", weightVar: 2.2, biasVar: 0, phase: "chaotic" },
    { activation: "elu", weightVar: 1.5, biasVar: 0.1, phase: "ordered" },
    { activation: "sigmoid", weightVar: 4, biasVar: 0, phase: "ordered" },
  ] as const;
  for (const c of cases) {
    it(`${c.activation} weight var ${c.weightVar} bias var ${c.biasVar}: fitted factor = chi1 within 3%`, () => {
      const { phase: _phase, ...network } = c;
      const config = resolveProbeConfig({
        ...network,
        depth: 60,
        width: 512,
        batch: 32,
        init: "normal",
      });
      const measured = runProbe(config);
      const report = theoryReport(c.activation, c.weightVar, c.biasVar);
      expect(report.phase).toBe(c.phase);
      // Skip the first 10 layers, where q is still relaxing toward q*.
      const deep = measured.layers.slice(10);
      const factor = fitPerLayerFactor(deep);
      expect(Math.abs(factor / report.chi1 - 1)).toBeLessThan(0.03);
      // Layer by layer, the finite-depth recursion follows the measurement.
      const predicted = predictProbe(config).layers;
      for (const l of [0, 29, 59]) {
        const ratio = measured.layers[l]!.gradPreactMeanSq / predicted[l]!.gradPreactMeanSq;
        expect(Math.abs(Math.log(ratio)), `layer ${l + 1}`).toBeLessThan(0.3);
      }
      // q is checked near the input only: in a single finite-width network log q drifts like
      // a random walk (variance ~5 l / n for ReLU, Hanin & Rolnick 2018), so deep layers of
      // one network scatter by tens of percent around the mean-field value.
      for (const l of [0, 1]) {
        expect(
          Math.abs(measured.layers[l]!.q / predicted[l]!.q - 1),
          `q at layer ${l + 1}`,
        ).toBeLessThan(0.05);
      }
    });
  }
  it("effective weight variance follows the init", () => {
    expect(effectiveWeightVar(resolveProbeConfig({ init: "he-normal", width: 100 }))).toBeCloseTo(
      2,
      12,
    );
    expect(
      effectiveWeightVar(resolveProbeConfig({ init: "standard-uniform", width: 100 })),
    ).toBeCloseTo(1 / 3, 12);
    expect(
      effectiveWeightVar(resolveProbeConfig({ init: "normal", weightVar: 1.7, gain: 2 })),
    ).toBeCloseTo(6.8, 12);
  });
  it("says when it has no prediction", () => {
    expect(theoryUnavailable(resolveProbeConfig({ batchNorm: true }))).toMatch(/batch/);
    expect(theoryUnavailable(resolveProbeConfig({ loss: "mse" }))).toMatch(/random-projection/);
    expect(theoryUnavailable(resolveProbeConfig({}))).toBeNull();
  });
});

describe("probe theory for batch-norm networks", () => {
  it("predicts per layer for identity and relu, and says why not otherwise", () => {
    expect(
      probeTheoryUnavailable(resolveProbeConfig({ batchNorm: true, activation: "relu" })),
    ).toBeNull();
    expect(
      probeTheoryUnavailable(resolveProbeConfig({ batchNorm: true, activation: "identity" })),
    ).toBeNull();
    expect(
      probeTheoryUnavailable(resolveProbeConfig({ batchNorm: true, activation: "tanh" })),
    ).toBe("no prediction for batch norm with tanh (identity and relu only)");
    expect(
      probeTheoryUnavailable(
        resolveProbeConfig({ batchNorm: true, activation: "relu", residual: true }),
      ),
    ).toMatch(/residual/);
    expect(
      probeTheoryUnavailable(resolveProbeConfig({ batchNorm: true, activation: "relu", batch: 3 })),
    ).toMatch(/batch below 4/);
    expect(probeTheoryUnavailable(resolveProbeConfig({ layerNorm: true }))).toMatch(/layer norm/);
    expect(() => predictProbe(resolveProbeConfig({ layerNorm: true }))).toThrow(/layer norm/);
  });
  it("width 512, depth 20, batch 32, relu: the predicted column follows one measured network", () => {
    const config = resolveProbeConfig({
      depth: 20,
      width: 512,
      batch: 32,
      activation: "relu",
      init: "he-normal",
      batchNorm: true,
    });
    const theory = predictProbe(config);
    expect(theory.source).toBe("batch-norm mean-field");
    expect(theory.weightVar).toBeCloseTo(2, 12);
    expect(theory.layers).toHaveLength(20);
    expect(theory.layers[1]!.q).toBeCloseTo(1, 4); // sigma_w^2 * E[relu(u)^2] = 2 * 1/2
    const measured = runProbe(config).layers;
    // One network (one seed): the top layer is exact up to O(1/width) (6%); q at layers 1-2
    // up to sampling noise (3%). Deeper gradients scatter by about 7% per seed on top of the
    // finite-width bias, so they are checked over 3 seeds in theory/batch-norm-profile.test.ts.
    const top = measured[19]!.gradPreactMeanSq / theory.layers[19]!.gradPreactMeanSq;
    expect(Math.abs(Math.log(top))).toBeLessThan(0.06);
    for (const l of [0, 1]) {
      expect(
        Math.abs(measured[l]!.q / theory.layers[l]!.q - 1),
        `q at layer ${l + 1}`,
      ).toBeLessThan(0.03);
    }
  });
});
