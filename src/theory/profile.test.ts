import { describe, expect, it } from "vitest";
import { type Activation, type ActivationName, getActivation } from "../core/activations.ts";
import { Rng } from "../core/rng.ts";
import { digamma, linearNetworkPrediction, trigamma } from "./linear.ts";
import { chi1, fixedPoint } from "./mean-field.ts";
import { predictProfile } from "./profile.ts";

const rel = (a: number, b: number): number => Math.abs(a / b - 1);

interface SimOptions {
  act: Activation;
  weightVar: number;
  biasVar: number;
  depth: number;
  width: number;
  batch: number;
  seeds: number;
  residual?: boolean;
  s?: number;
}

/**
 * Direct simulation of the probe network (square layers, inputs x ~ N(0, 1)) with the
 * random-projection loss: per-layer means of z^2, (dL/dz)^2 and a, over units, examples and
 * seeds.
 */
function simulate(o: SimOptions): { q: number[]; grad: number[]; mean: number[] } {
  const { act, depth: L, width: n } = o;
  const s = o.s ?? 1;
  const q = new Array<number>(L).fill(0);
  const grad = new Array<number>(L).fill(0);
  const mean = new Array<number>(L).fill(0);
  const count = n * o.batch * o.seeds;
  for (let seed = 0; seed < o.seeds; seed++) {
    const rng = new Rng(1000 + seed);
    const W: Float64Array[] = [];
    const B: Float64Array[] = [];
    for (let l = 0; l < L; l++) {
      const w = new Float64Array(n * n);
      rng.fillNormal(w, 0, Math.sqrt(o.weightVar / n));
      const b = new Float64Array(n);
      rng.fillNormal(b, 0, Math.sqrt(o.biasVar));
      W.push(w);
      B.push(b);
    }
    for (let ex = 0; ex < o.batch; ex++) {
      const a: Float64Array[] = [new Float64Array(n)];
      rng.fillNormal(a[0]!);
      const zs: Float64Array[] = [];
      for (let l = 0; l < L; l++) {
        const z = new Float64Array(n);
        const out = new Float64Array(n);
        const w = W[l]!;
        const prev = a[l]!;
        for (let i = 0; i < n; i++) {
          let sum = B[l]![i]!;
          for (let j = 0; j < n; j++) sum += w[i * n + j]! * prev[j]!;
          z[i] = sum;
          const phi = act.value(sum);
          out[i] = o.residual ? prev[i]! + s * phi : phi;
          q[l]! += (sum * sum) / count;
          mean[l]! += out[i]! / count;
        }
        zs.push(z);
        a.push(out);
      }
      let g = new Float64Array(n);
      rng.fillNormal(g);
      for (let l = L - 1; l >= 0; l--) {
        const z = zs[l]!;
        const dz = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          dz[i] = (o.residual ? s : 1) * act.derivative(z[i]!) * g[i]!;
          grad[l]! += (dz[i]! * dz[i]!) / count;
        }
        const next = o.residual ? Float64Array.from(g) : new Float64Array(n);
        const w = W[l]!;
        for (let i = 0; i < n; i++) {
          const d = dz[i]!;
          for (let j = 0; j < n; j++) next[j]! += w[i * n + j]! * d;
        }
        g = next;
      }
    }
  }
  return { q, grad, mean };
}

/**
 * Sampling noise per layer (8 networks of width 256 x 8 inputs): about 2-3% on q and 5% on
 * (dL/dz)^2 (std). On top, gradients carry a finite-width bias: for the residual relu case,
 * +7% / +4% / +3% / +2% at layer 1 for widths 128 / 256 / 512 / 1024 (measured, shrinking to
 * 0 as the width grows). Per layer within 10% / 20%; geometric means over layers within
 * 4% (q) and 8% (gradients).
 */
function expectClose(
  pred: { q: number; gradPreactMeanSq: number }[],
  sim: { q: number[]; grad: number[] },
): void {
  let logQ = 0;
  let logG = 0;
  for (let l = 0; l < pred.length; l++) {
    expect(rel(sim.q[l]!, pred[l]!.q)).toBeLessThan(0.1);
    expect(rel(sim.grad[l]!, pred[l]!.gradPreactMeanSq)).toBeLessThan(0.2);
    logQ += Math.log(sim.q[l]! / pred[l]!.q) / pred.length;
    logG += Math.log(sim.grad[l]! / pred[l]!.gradPreactMeanSq) / pred.length;
  }
  expect(Math.abs(logQ)).toBeLessThan(0.04);
  expect(Math.abs(logG)).toBeLessThan(0.08);
}

describe("predictProfile", () => {
  it("plain tanh network: q_l and mean (dL/dz)^2 match a simulation of width 256", () => {
    const o = { weightVar: 1.5, biasVar: 0.05, depth: 8 };
    const act = getActivation("tanh");
    const sim = simulate({ act, ...o, width: 256, batch: 8, seeds: 8 });
    const pred = predictProfile({ activation: act, ...o });
    expectClose(pred, sim);
    // Deep down, q_l converges to q* and the factor to chi1(q*).
    const fp = fixedPoint(act, o.weightVar, o.biasVar);
    const deep = predictProfile({ activation: act, ...o, depth: 60 });
    expect(rel(deep[59]!.q, fp.qStar)).toBeLessThan(1e-12);
    expect(rel(deep[0]!.factor, chi1(act, o.weightVar, deep[0]!.q))).toBeLessThan(1e-14);
    expect(rel(deep[59]!.factor, chi1(act, o.weightVar, fp.qStar))).toBeLessThan(1e-12);
  });

  it("residual relu network: mean and second moment grow; simulation agrees", () => {
    const o = { weightVar: 2, biasVar: 0.1, depth: 8, residual: true, branchScale: 0.5 };
    const act = getActivation("relu");
    const sim = simulate({ act, ...o, s: o.branchScale, width: 256, batch: 8, seeds: 8 });
    const pred = predictProfile({ activation: act, ...o });
    expectClose(pred, sim);
    for (let l = 0; l < o.depth; l++) {
      expect(rel(pred[l]!.outputMean, sim.mean[l]!)).toBeLessThan(0.05);
      expect(pred[l]!.residual).toBe(true);
    }
    // Without the mean term the second moment would be underestimated: check it matters.
    const last = pred[o.depth - 1]!;
    expect(last.outputMean).toBeGreaterThan(1);
  });

  it("satisfies the recursions exactly (plain: factor = local chi1 = ratio of gradients)", () => {
    const pred = predictProfile({ activation: "sigmoid", weightVar: 1 / 3, biasVar: 0, depth: 12 });
    expect(pred).toHaveLength(12);
    expect(pred[0]!.q).toBeCloseTo(1 / 3, 15); // input second moment 1
    expect(pred[11]!.gradOutputMeanSq).toBe(1);
    for (let l = 0; l < 11; l++) {
      const ratio = pred[l]!.gradPreactMeanSq / pred[l + 1]!.gradPreactMeanSq;
      expect(rel(ratio, pred[l]!.factor)).toBeLessThan(1e-13);
      expect(rel(pred[l + 1]!.q, (1 / 3) * pred[l]!.outputMeanSq)).toBeLessThan(1e-13);
    }
    // Vanishing: about 0.02 per layer.
    expect(pred[5]!.factor).toBeGreaterThan(0.0195);
    expect(pred[5]!.factor).toBeLessThan(0.0205);
  });

  it("identity network: the product prediction weightVar^(L-l)", () => {
    const pred = predictProfile({ activation: "identity", weightVar: 1.2, biasVar: 0, depth: 6 });
    for (const row of pred) {
      expect(rel(row.gradPreactMeanSq, 1.2 ** (6 - row.layer))).toBeLessThan(1e-13);
      expect(rel(row.q, 1.2 ** row.layer)).toBeLessThan(1e-13);
      expect(rel(row.gradWeightMeanSq, row.gradPreactMeanSq * 1.2 ** (row.layer - 1))).toBeLessThan(
        1e-13,
      );
    }
  });

  it("first layer: input second moment and fan ratio; no skip when widths differ", () => {
    const pred = predictProfile({
      activation: "relu",
      weightVar: 2,
      biasVar: 0,
      depth: 3,
      inputMeanSq: 4,
      residual: true,
      inputDim: 10,
      width: 20,
    });
    expect(pred[0]!.q).toBeCloseTo(8, 14);
    expect(pred[0]!.residual).toBe(false);
    expect(pred[1]!.residual).toBe(true);
    expect(pred[0]!.factor).toBeCloseTo(2 * (20 / 10) * 0.5, 14);
  });

  it("rejects bad depth", () => {
    expect(() =>
      predictProfile({ activation: "tanh" as ActivationName, weightVar: 1, biasVar: 0, depth: 0 }),
    ).toThrow(RangeError);
  });
});

describe("linear networks", () => {
  it("digamma and trigamma", () => {
    const gamma = 0.5772156649015329;
    expect(Math.abs(digamma(1) + gamma)).toBeLessThan(4e-15);
    expect(Math.abs(digamma(0.5) + gamma + 2 * Math.LN2)).toBeLessThan(4e-15);
    expect(Math.abs(digamma(100) - 4.600161852738087)).toBeLessThan(1e-14);
    expect(rel(trigamma(1), Math.PI ** 2 / 6)).toBeLessThan(1e-15);
    expect(rel(trigamma(0.5), Math.PI ** 2 / 2)).toBeLessThan(1e-15);
    expect(rel(trigamma(50), 0.020201333226697125)).toBeLessThan(1e-14);
  });

  it("finite-width log-norm statistics of a Gaussian product match Monte Carlo", () => {
    const width = 16;
    const depth = 6;
    const weightVar = 1;
    const pred = linearNetworkPrediction({ weightVar, depth, width });
    expect(pred[depth - 1]!.meanSq).toBe(1);
    expect(pred[depth - 1]!.typical).toBeLessThan(1); // typical < mean at finite width
    const rng = new Rng(7);
    const trials = 4000;
    let sum = 0;
    let sumSq = 0;
    const w = new Float64Array(width * width);
    for (let t = 0; t < trials; t++) {
      let v = new Float64Array(width);
      rng.fillNormal(v);
      let norm0 = 0;
      for (const x of v) norm0 += x * x;
      for (let l = 0; l < depth; l++) {
        rng.fillNormal(w, 0, Math.sqrt(weightVar / width));
        const next = new Float64Array(width);
        for (let i = 0; i < width; i++) {
          let s = 0;
          for (let j = 0; j < width; j++) s += w[i * width + j]! * v[j]!;
          next[i] = s;
        }
        v = next;
      }
      let norm = 0;
      for (const x of v) norm += x * x;
      const y = Math.log(norm / norm0);
      sum += y;
      sumSq += y * y;
    }
    const mean = sum / trials;
    const std = Math.sqrt(sumSq / trials - mean * mean);
    const last = pred[depth - 1]!;
    expect(Math.abs(mean - last.logMean)).toBeLessThan((4 * last.logStd) / Math.sqrt(trials));
    expect(rel(std, last.logStd)).toBeLessThan(0.06);
    expect(pred[0]!.spectrumEdge).toBeCloseTo(4, 14); // Marchenko-Pastur edge for k = 1
  });
});
