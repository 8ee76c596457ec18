import { describe, expect, it } from "vitest";
import { resolveProbeConfig } from "../experiment/config.ts";
import { runProbe } from "../experiment/probe-run.ts";
import {
  type BatchNormActivation,
  batchNormInteriorFactor,
  predictBatchNormProfile,
} from "./batch-norm-profile.ts";

describe("batch-norm profile: closed forms", () => {
  it("identity: (B-2)/(B-3) inside, B/(B-1) more at layer 1, exact top value", () => {
    const B = 16;
    const w = 1.7;
    const p = predictBatchNormProfile({
      activation: "identity",
      weightVar: w,
      biasVar: 0.1,
      depth: 6,
      batch: B,
      eps: 0,
    });
    const lambda = (B - 2) / (B - 3);
    for (let l = 2; l <= 5; l++) expect(p[l - 1]!.factor).toBeCloseTo(lambda, 12);
    expect(p[0]!.factor).toBeCloseTo((lambda * B) / (B - 1), 12);
    // Top: E[1/v] (B-2)/B with v ~ w * B/(B-1) * chi^2_{B-1} / B.
    expect(p[5]!.gradPreactMeanSq).toBeCloseTo(((B - 1) * (B - 2)) / (B * (B - 3) * w), 12);
    // q: the BN output has second moment 1, the input 1; the bias adds 0.1.
    for (const row of p) expect(row.q).toBeCloseTo(w + 0.1, 12);
  });
  it("relu: q = w/2 above layer 1, factor -> pi/(pi-1) for large batches", () => {
    const p = predictBatchNormProfile({
      activation: "relu",
      weightVar: 2,
      biasVar: 0,
      depth: 3,
      batch: 32,
      eps: 0,
    });
    expect(p.map((r) => r.q)).toEqual([2, 1, 1]);
    expect(batchNormInteriorFactor("relu", 1e8)).toBeCloseTo(Math.PI / (Math.PI - 1), 7);
    expect(batchNormInteriorFactor("relu", 16)).toBeCloseTo(1.58995, 4);
  });
  it("eps shrinks q by v / (v + eps)", () => {
    const opts = { activation: "identity", biasVar: 0, depth: 2, batch: 8, eps: 1e-3 } as const;
    const q2 = predictBatchNormProfile({ ...opts, weightVar: 0.01 })[1]!.q;
    const v = (0.01 * 7) / 8; // mean batch variance of z^1
    expect(q2).toBeCloseTo(0.01 * (v / (v + 1e-3)), 12);
  });
  it("rejects batches below 4", () => {
    expect(() =>
      predictBatchNormProfile({
        activation: "relu",
        weightVar: 2,
        biasVar: 0,
        depth: 3,
        batch: 3,
      }),
    ).toThrow(/at least 4/);
  });
});

/** Geometric mean over seeds of measured / predicted, per layer, for q and E[dz^2]. */
function ratios(activation: BatchNormActivation, batch: number, width: number, depth: number) {
  const seeds = [1, 2, 3];
  const predicted = predictBatchNormProfile({
    activation,
    weightVar: 2,
    biasVar: 0,
    depth,
    batch,
  });
  const logQ = new Array<number>(depth).fill(0);
  const logG = new Array<number>(depth).fill(0);
  for (const seed of seeds) {
    const r = runProbe(
      resolveProbeConfig({
        depth,
        width,
        batch,
        activation,
        init: "normal",
        weightVar: 2,
        batchNorm: true,
        seed,
      }),
    );
    for (let l = 0; l < depth; l++) {
      logQ[l]! += Math.log(r.layers[l]!.q / predicted[l]!.q) / seeds.length;
      logG[l]! += Math.log(r.layers[l]!.gradPreactMeanSq / predicted[l]!.gradPreactMeanSq);
    }
  }
  return {
    q: logQ.map(Math.abs),
    /** Mean over layers of the signed log q ratio: the bias, free of per-layer scatter. */
    qBias: Math.abs(logQ.reduce((a, b) => a + b, 0) / depth),
    grad: logG.map((v) => Math.abs(v / seeds.length)),
  };
}

// Bounds (3 seeds, depth 20). q is exact in expectation, but one network's deep layers share
// a correlated finite-width scatter (measured up to 4.2% at one layer, relu B=128), so q is
// checked layer by layer at layers 1-2 (3%, about 3 standard errors) and as a bias averaged
// over all layers (1.5%). The top gradient is exact up to the O(1/width) anisotropy of the
// batch Gram: 6% (measured <= 5%). Deeper layers carry a finite-width bias that builds up
// with depth (docs/THEORY.md): measured max 7% (relu B=32, B=128), 15% (identity B=32) and
// 20% (relu B=8, layer 1) at width 512. The bound 10% is asserted where measurement allows
// it; the identity case checks instead that the bias halves when the width doubles.
describe("batch-norm profile against measurement (width 512, depth 20, 3 seeds)", () => {
  const cases = [
    { activation: "relu", batch: 32, all: 0.1 },
    { activation: "relu", batch: 128, all: 0.1 },
    { activation: "relu", batch: 8, all: null },
  ] as const;
  for (const c of cases) {
    it(`${c.activation}, batch ${c.batch}`, () => {
      const r = ratios(c.activation, c.batch, 512, 20);
      for (const l of [0, 1]) expect(r.q[l], `q at layer ${l + 1}`).toBeLessThan(0.03);
      expect(r.qBias, "q bias").toBeLessThan(0.015);
      expect(r.grad[19], "top layer").toBeLessThan(0.06);
      const all = c.all;
      if (all !== null) {
        for (let l = 0; l < 20; l++) expect(r.grad[l], `layer ${l + 1}`).toBeLessThan(all);
      }
    });
  }
  it("identity, batch 32: the finite-width bias shrinks like 1/width", () => {
    const narrow = ratios("identity", 32, 256, 20);
    const wide = ratios("identity", 32, 512, 20);
    for (const l of [0, 1]) expect(wide.q[l], `q at layer ${l + 1}`).toBeLessThan(0.03);
    expect(wide.qBias, "q bias").toBeLessThan(0.015);
    expect(wide.grad[19], "top layer").toBeLessThan(0.06);
    const worstNarrow = Math.max(...narrow.grad);
    const worstWide = Math.max(...wide.grad);
    expect(worstWide).toBeLessThan(0.2);
    expect(worstWide / worstNarrow).toBeLessThan(0.7);
  });
});
