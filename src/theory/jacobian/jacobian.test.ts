import { describe, expect, it } from "vitest";
import { Mat } from "../../core/mat.ts";
import { Network } from "../../core/network.ts";
import { Rng } from "../../core/rng.ts";
import { jacobianSpectrum, networkJacobian, spectrumStats } from "./jacobian.ts";

describe("networkJacobian", () => {
  it("equals finite differences of the core Network built from the same seed", () => {
    const width = 6;
    const depth = 3;
    const seed = 5;
    const { J, x } = networkJacobian({
      activation: "tanh",
      init: "normal",
      weightVar: 1.5,
      biasVar: 0.1,
      depth,
      width,
      seed,
    });
    // The same weights and input as the probe: weights from the first fork, x from the second.
    const master = new Rng(seed);
    const network = new Network({ inputDim: width, depth, width, activation: "tanh" });
    network.initialize("normal", { weightVar: 1.5, biasVar: 0.1 }, master.fork());
    const x2 = Mat.zeros(1, width);
    master.fork().fillNormal(x2.data);
    expect(Array.from(x2.data)).toEqual(Array.from(x.data));
    const f = (input: Float64Array): Float64Array =>
      Float64Array.from(network.forward(new Mat(1, width, input), "eval").data);
    const h = 1e-5;
    for (let j = 0; j < width; j++) {
      const plus = Float64Array.from(x.data);
      const minus = Float64Array.from(x.data);
      plus[j] = plus[j]! + h;
      minus[j] = minus[j]! - h;
      const fp = f(plus);
      const fm = f(minus);
      for (let i = 0; i < width; i++) {
        const fd = (fp[i]! - fm[i]!) / (2 * h);
        expect(Math.abs(fd - J.get(i, j))).toBeLessThan(1e-8);
      }
    }
  });
});

describe("jacobianSpectrum", () => {
  it("a linear orthogonal network is an exact isometry: every singular value is 1", () => {
    const s = jacobianSpectrum({
      activation: "identity",
      init: "orthogonal",
      depth: 20,
      width: 64,
    });
    for (const v of s.singularValues) expect(Math.abs(v - 1)).toBeLessThan(1e-10);
    expect(s.conditionNumber).toBeLessThan(1 + 1e-10);
    expect(s.varSq).toBeLessThan(1e-20);
  });

  it("a linear Gaussian network keeps mean sigma^2 = 1 while its variance grows like depth", () => {
    // Pennington et al. 2017: for J a product of L Ginibre matrices (weightVar 1) the spectrum
    // of J J^T has mean 1 and variance L at large width.
    const variances: number[] = [];
    for (const depth of [2, 8]) {
      const s = jacobianSpectrum({ activation: "identity", init: "normal", depth, width: 400 });
      expect(Math.abs(s.meanSq - 1)).toBeLessThan(0.05);
      expect(Math.abs(s.varSq - depth) / depth).toBeLessThan(0.3);
      variances.push(s.varSq);
    }
    expect(variances[1]! / variances[0]!).toBeGreaterThan(3);
  });

  it("tanh with orthogonal weights near criticality is well conditioned; ReLU is not", () => {
    // Small inputs keep tanh in its linear regime, where D ~ I and J ~ a product of
    // orthogonal matrices (dynamical isometry).
    const tanh = jacobianSpectrum({
      activation: "tanh",
      init: "orthogonal",
      depth: 20,
      width: 128,
      inputScale: 0.1,
    });
    expect(tanh.conditionNumber).toBeLessThan(2);
    expect(tanh.inactiveFraction).toBe(0);
    // ReLU zeroes about half of every D: J loses rank, and no weight scale brings it back.
    const relu = jacobianSpectrum({
      activation: "relu",
      init: "orthogonal",
      weightVar: 2,
      depth: 20,
      width: 128,
    });
    expect(relu.inactiveFraction).toBeGreaterThan(0.4);
    expect(relu.inactiveFraction).toBeLessThan(0.6);
    expect(relu.numericalRank).toBeLessThan(0.6 * 128);
    expect(relu.conditionNumber).toBe(Number.POSITIVE_INFINITY);
  });

  it("reports the layer-by-layer q of the forward pass", () => {
    const s = jacobianSpectrum({ activation: "identity", init: "orthogonal", depth: 3, width: 32 });
    // An orthogonal linear map preserves ||x||^2, so q is the same in every layer.
    expect(s.layerQ).toHaveLength(3);
    for (const q of s.layerQ) expect(q).toBeCloseTo(s.layerQ[0]!, 12);
  });

  it("rejects a bad shape", () => {
    expect(() =>
      networkJacobian({ activation: "tanh", init: "normal", depth: 0, width: 4 }),
    ).toThrow(/depth/);
    expect(() =>
      networkJacobian({ activation: "tanh", init: "normal", depth: 2, width: 4, inputScale: -1 }),
    ).toThrow(/inputScale/);
  });
});

describe("spectrumStats", () => {
  it("computes the moments of sigma^2 and the condition number", () => {
    const s = spectrumStats([2, 1, 1, 0]);
    expect(s.meanSq).toBe(1.5);
    expect(s.varSq).toBe((2.5 ** 2 + 0.5 ** 2 * 2 + 1.5 ** 2) / 4);
    expect(s.max).toBe(2);
    expect(s.min).toBe(0);
    expect(s.numericalRank).toBe(3);
    expect(s.conditionNumber).toBe(Number.POSITIVE_INFINITY);
    expect(spectrumStats([4, 2]).conditionNumber).toBe(2);
  });
});
