import { describe, expect, it } from "vitest";
import { getActivation } from "../core/activations.ts";
import { resolveProbeConfig } from "./config.ts";
import { dumpChunks } from "./dump.ts";
import { buildProbe, forwardBackward, runProbe } from "./probe-run.ts";

/** E[g(sqrt(q) Z)] for Z ~ N(0,1) by composite Simpson on [-12, 12]: an independent check. */
function gaussianMean(g: (x: number) => number, q: number): number {
  const n = 4000;
  const h = 24 / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const z = -12 + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    s += w * g(Math.sqrt(q) * z) * Math.exp(-0.5 * z * z);
  }
  return (s * h) / 3 / Math.sqrt(2 * Math.PI);
}

function relativeSpread(xs: number[]): number {
  return (Math.max(...xs) - Math.min(...xs)) / Math.max(...xs);
}

describe("probe closed forms", () => {
  it("a deep linear network with orthogonal weights keeps the gradient norm exactly (depth 50)", () => {
    for (const dtype of ["f64", "f32"] as const) {
      const r = runProbe(
        resolveProbeConfig({
          depth: 50,
          width: 64,
          batch: 16,
          activation: "identity",
          init: "orthogonal",
          dtype,
        }),
      );
      const g = r.layers.map((m) => m.gradPreactMeanSq);
      const q = r.layers.map((m) => m.q);
      expect(relativeSpread(g)).toBeLessThan(dtype === "f64" ? 1e-12 : 1e-4);
      expect(relativeSpread(q)).toBeLessThan(dtype === "f64" ? 1e-12 : 1e-4);
      expect(r.summary.verdict).toBe("healthy");
      expect(Math.abs(r.summary.perLayerFactor - 1)).toBeLessThan(dtype === "f64" ? 1e-12 : 1e-5);
    }
  });

  it("relu with He init keeps q roughly constant over 30 layers; Xavier halves it per layer", () => {
    // Geometric per-layer factor of q, averaged over 3 seeds (finite width makes q drift
    // multiplicatively by a few percent per layer in any single network).
    const factor = (init: string): number => {
      const r = runProbe(
        resolveProbeConfig({
          depth: 30,
          width: 512,
          batch: 32,
          activation: "relu",
          init,
          repeats: 3,
        }),
      );
      return (r.layers[29]!.q / r.layers[0]!.q) ** (1 / 29);
    };
    expect(Math.abs(factor("he-normal") - 1)).toBeLessThan(0.03);
    expect(Math.abs(factor("xavier-normal") - 0.5)).toBeLessThan(0.015);
  });

  it("sigmoid with standard-uniform init shrinks gradPreactMeanSq by about 0.02 per layer", () => {
    const r = runProbe(
      resolveProbeConfig({
        depth: 20,
        width: 512,
        batch: 32,
        activation: "sigmoid",
        init: "standard-uniform",
      }),
    );
    // Mean-field: q = (1/3) E[sigmoid(z)^2] at its fixed point, chi1 = (1/3) E[sigmoid'(z)^2].
    const sig = getActivation("sigmoid");
    let q = 1;
    for (let i = 0; i < 100; i++) q = gaussianMean((x) => sig.value(x) ** 2, q) / 3;
    const chi1 = gaussianMean((x) => sig.derivative(x) ** 2, q) / 3;
    expect(chi1).toBeGreaterThan(0.019);
    expect(chi1).toBeLessThan(0.022);
    expect(Math.abs(r.summary.perLayerFactor / chi1 - 1)).toBeLessThan(0.05);
    expect(r.summary.verdict).toBe("vanishing");
    expect(r.summary.firstToLastRatio).toBeLessThan(1e-10);
  });

  it("flags float32 underflow instead of reporting a silent zero", () => {
    const base = {
      depth: 80,
      width: 32,
      batch: 8,
      activation: "sigmoid",
      init: "standard-uniform",
    } as const;
    const f32 = runProbe(resolveProbeConfig({ ...base, dtype: "f32" }));
    expect(f32.summary.underflowLayers.length).toBeGreaterThan(0);
    expect(f32.layers[0]!.underflow).toBe(true);
    expect(f32.layers[79]!.underflow).toBe(false);
    expect(f32.summary.verdict).toBe("vanishing");
    expect(f32.summary.message).toMatch(/underflows to zero in layers 1-/);
    const f64 = runProbe(resolveProbeConfig({ ...base, dtype: "f64" }));
    expect(f64.summary.underflowLayers).toEqual([]);
    expect(f64.layers[0]!.gradPreactMeanSq).toBeGreaterThan(0);
  });

  it("reports overflow as non-finite data, not a crash", () => {
    const r = runProbe(
      resolveProbeConfig({
        depth: 200,
        width: 16,
        batch: 4,
        activation: "relu",
        init: "normal",
        weightVar: 1e4,
      }),
    );
    expect(r.summary.verdict).toBe("non-finite");
    expect(r.summary.nonfiniteLayers).toContain(200);
    expect(r.layers[0]!.nonfinite).toBe(0);
  });

  it("averages repeats over seeds and reports the spread", () => {
    const r = runProbe(resolveProbeConfig({ depth: 5, width: 32, batch: 8, repeats: 4 }));
    expect(r.spread).toHaveLength(5);
    const s = r.spread![0]!.gradWeightNorm;
    expect(s.std).toBeGreaterThan(0);
    expect(s.min).toBeLessThanOrEqual(r.layers[0]!.gradWeightNorm);
    expect(s.max).toBeGreaterThanOrEqual(r.layers[0]!.gradWeightNorm);
    expect(r.summary.perLayerFactorSpread?.mean).toBeGreaterThan(0);
  });

  it("is deterministic for a seed", () => {
    const c = resolveProbeConfig({ depth: 4, width: 16, batch: 4, seed: 9 });
    expect(runProbe(c).layers).toEqual(runProbe(c).layers);
  });
});

describe("dump", () => {
  it("holds every tensor, and z = a_prev W^T + b holds in the dump", () => {
    const setup = buildProbe(
      resolveProbeConfig({ depth: 3, width: 4, batch: 2, batchNorm: true, residual: true }),
    );
    const loss = forwardBackward(setup);
    const dump = JSON.parse([...dumpChunks(setup, loss)].join(""));
    expect(dump.loss).toBe(loss);
    expect(dump.input.shape).toEqual([2, 4]);
    expect(dump.target.shape).toEqual([2, 4]);
    expect(dump.layers).toHaveLength(3);
    const l2 = dump.layers[1];
    for (const k of [
      "W",
      "b",
      "gamma",
      "beta",
      "z",
      "u",
      "a",
      "dz",
      "dW",
      "db",
      "dgamma",
      "dbeta",
    ]) {
      expect(l2[k], k).toBeDefined();
    }
    expect(l2.batchNorm).toBe(true);
    const aPrev = dump.layers[0].a;
    const [rows, cols] = l2.z.shape;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        let z = l2.b.data[j];
        for (let k = 0; k < 4; k++) z += aPrev.data[r * 4 + k] * l2.W.data[j * 4 + k];
        expect(Math.abs(z - l2.z.data[r * cols + j])).toBeLessThan(1e-12);
      }
    }
  });
  it("writes non-finite values as strings", () => {
    const setup = buildProbe(
      resolveProbeConfig({ depth: 200, width: 16, batch: 4, activation: "relu", weightVar: 1e4 }),
    );
    const dump = [...dumpChunks(setup, forwardBackward(setup))].join("");
    expect(dump).toMatch(/"(NaN|Infinity)"/);
    expect(() => JSON.parse(dump)).not.toThrow();
  });
});
