import { describe, expect, it } from "vitest";
import { type ActivationName, getActivation } from "../core/activations.ts";
import { type DType, minNormal } from "../core/dtype.ts";
import type { HiddenBlock } from "../core/layers/hidden-block.ts";
import { createLoss } from "../core/loss.ts";
import { Mat } from "../core/mat.ts";
import { Network } from "../core/network.ts";
import { Rng } from "../core/rng.ts";
import { type LayerMetrics, MetricScratch, measureBlock } from "./layer-metrics.ts";

/**
 * The metrics of one block by their definitions (DESIGN.md), one plain loop per quantity, all in
 * float64: the reference the fused, single-read measureBlock must reproduce.
 */
function reference(block: HiddenBlock): Omit<LayerMetrics, "layer" | "underflow"> {
  const mean = (x: ArrayLike<number>, n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i]!;
    return s / n;
  };
  const std = (x: ArrayLike<number>, n: number): number => {
    const m = mean(x, n);
    let s = 0;
    for (let i = 0; i < n; i++) s += (x[i]! - m) ** 2;
    return Math.sqrt(s / n);
  };
  const sq = (x: ArrayLike<number>, n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i]! ** 2;
    return s;
  };
  const count = (x: ArrayLike<number>, n: number, f: (v: number) => boolean): number => {
    let c = 0;
    for (let i = 0; i < n; i++) if (f(x[i]!)) c++;
    return c;
  };
  const { z, u, phi, dz } = block;
  const { W, dW, db } = block.dense;
  const act = block.activation;
  const n = u.size;
  const d = new Float64Array(n);
  // phi' as the contract evaluates it: in float64 from the stored u and phi(u) (tanh and sigmoid
  // from phi, so a float32 tanh that rounded to +-1 has phi' = 0).
  act.derivatives(u.data, phi.data, d, n);
  const low = count(d, n, (v) => v < 0.01 * act.maxDerivative);
  let dead = 0;
  for (let j = 0; j < u.cols; j++) {
    let all = true;
    for (let r = 0; r < u.rows; r++) if (d[r * u.cols + j] !== 0) all = false;
    if (all) dead++;
  }
  const tiny = minNormal(block.dense.dtype);
  const nonfinite = (x: Mat): number => count(x.data, x.size, (v) => !Number.isFinite(v));
  const subnormal = (x: Mat): number => count(x.data, x.size, (v) => v !== 0 && Math.abs(v) < tiny);
  return {
    q: sq(z.data, z.size) / z.size,
    gradPreactMeanSq: sq(dz.data, dz.size) / dz.size,
    gradWeightNorm: Math.sqrt(sq(dW.data, dW.size)),
    gradBiasNorm: Math.sqrt(sq(db.data, db.size)),
    weightNorm: Math.sqrt(sq(W.data, W.size)),
    gradToWeight: std(dW.data, dW.size) / std(W.data, W.size),
    actMean: mean(phi.data, n),
    actStd: std(phi.data, n),
    saturated: act.bounded ? low / n : 0,
    lowDerivative: low / n,
    inactive: count(d, n, (v) => v === 0) / n,
    dead: dead / u.cols,
    nonfinite: nonfinite(z) + nonfinite(phi) + nonfinite(dz) + nonfinite(dW) + nonfinite(db),
    subnormal: subnormal(dz) + subnormal(dW),
  };
}

function trainedNetwork(activation: ActivationName, dtype: DType, weightVar: number): Network {
  const rng = new Rng(11);
  const net = new Network({ inputDim: 6, depth: 4, width: 12, activation, outputs: 3, dtype });
  net.initialize("normal", { weightVar, biasVar: 0.05 }, rng);
  const x = Mat.zeros(9, 6, dtype);
  rng.fillNormal(x.data);
  const t = Mat.zeros(9, 3, dtype);
  for (let r = 0; r < 9; r++) t.data[r * 3 + rng.int(3)] = 1;
  const loss = createLoss("cross-entropy", dtype);
  loss.forward(net.forward(x, "train"), t);
  net.backward(loss.backward());
  return net;
}

describe("measureBlock = the metric definitions computed plainly", () => {
  const cases: [ActivationName, DType, number][] = [
    ["tanh", "f64", 1],
    ["tanh", "f32", 40], // saturated: exact +-1 in float32, so phi' = 0 entries and dead units
    ["sigmoid", "f64", 30],
    ["relu", "f32", 2], // zeros, inactive and dead units
    ["gelu", "f64", 2],
    ["softplus", "f32", 1],
  ];
  for (const [activation, dtype, weightVar] of cases) {
    it(`${activation} ${dtype} weightVar ${weightVar}`, () => {
      const net = trainedNetwork(activation, dtype, weightVar);
      const scratch = new MetricScratch();
      let sawZeroDerivative = false;
      for (const [l, block] of net.blocks.entries()) {
        const got = measureBlock(block, l + 1, true, scratch);
        const want = reference(block);
        for (const key of Object.keys(want) as (keyof typeof want)[]) {
          const g = got[key];
          const w = want[key];
          if (w === 0 || !Number.isFinite(w)) expect(g, key).toBe(w);
          else expect(Math.abs(g / w - 1), `${key}: ${g} vs ${w}`).toBeLessThan(1e-12);
        }
        if (want.inactive > 0) sawZeroDerivative = true;
      }
      if (activation === "relu" || weightVar === 40) expect(sawZeroDerivative).toBe(true);
    });
  }

  it("counts NaN/Inf in phi(u) and z", () => {
    const net = trainedNetwork("tanh", "f64", 1);
    const block = net.blocks[1]!;
    block.z.data[3] = Number.NaN; // z is u: phi' and phi are not recomputed, only measured
    block.phi.data[5] = Number.POSITIVE_INFINITY;
    const got = measureBlock(block, 2, true, new MetricScratch());
    expect(got.nonfinite).toBe(reference(block).nonfinite);
    expect(got.nonfinite).toBeGreaterThanOrEqual(2);
    expect(getActivation("tanh").bounded).toBe(true);
  });
});
