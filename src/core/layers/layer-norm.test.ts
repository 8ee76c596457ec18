import { describe, expect, it } from "vitest";
import type { DType } from "../dtype.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import { LayerNorm } from "./layer-norm.ts";

const BATCH = 7;
const DIM = 5;
const TOL = 1e-6;

function randomMat(rng: Rng, rows: number, cols: number, mean = 0, std = 1): Mat {
  const m = Mat.zeros(rows, cols);
  rng.fillNormal(m.data, mean, std);
  return m;
}

/**
 * sum(R * (y - y0)), whose gradient with respect to y is R: the loss sum(R * y) less the
 * constant sum(R * y0), with y0 the output at the unperturbed point. Subtracting y0 entry by
 * entry keeps the sum small, so its rounding (~ulp of the loss, divided by 2h in the
 * central difference) does not swamp small gradient entries.
 */
function dot(R: Mat, y: Mat, y0: Mat): number {
  let s = 0;
  for (let i = 0; i < R.size; i++) s += R.data[i]! * (y.data[i]! - y0.data[i]!);
  return s;
}

/** A layer with random (not 1 / 0) gamma and beta, so their gradients matter. */
function randomLayer(rng: Rng, dtype: DType = "f64"): LayerNorm {
  const ln = new LayerNorm(DIM, dtype);
  rng.fillUniform(ln.gamma.data, 0.5, 2);
  for (let j = 0; j < DIM; j += 2) ln.gamma.data[j] = -ln.gamma.data[j]!;
  rng.fillNormal(ln.beta.data);
  return ln;
}

describe("LayerNorm forward", () => {
  it("normalizes a known row over its features with the biased variance", () => {
    const ln = new LayerNorm(8);
    const u = ln.forward(Mat.from([[2, 4, 4, 4, 5, 5, 7, 9]]), "train");
    // mean 5, biased var (9 + 1 + 1 + 1 + 0 + 0 + 4 + 16) / 8 = 4, xhat = (x - 5) / sqrt(4 + 1e-5)
    const s = 0.49999937500117186; // 1 / sqrt(4.00001)
    const dev = [-3, -1, -1, -1, 0, 0, 2, 4];
    for (let j = 0; j < 8; j++) expect(u.get(0, j)).toBeCloseTo(dev[j]! * s, 14);
  });

  it("normalizes rows independently and applies gamma and beta per feature", () => {
    const ln = new LayerNorm(4);
    ln.gamma.data.set([1, 2, -1, 0.5]);
    ln.beta.data.set([0, 1, 2, 3]);
    const u = ln.forward(
      Mat.from([
        [1, 2, 3, 4],
        [10, 10, 10, 10],
      ]),
      "eval",
    );
    // Row 0: mean 2.5, var 1.25, xhat = (x - 2.5) / sqrt(1.25 + 1e-5) = -+1.3416354, -+0.4472118.
    const xhat = [-1.341635419968927, -0.447211806656309, 0.447211806656309, 1.341635419968927];
    const g = [1, 2, -1, 0.5];
    for (let j = 0; j < 4; j++) expect(u.get(0, j)).toBeCloseTo(g[j]! * xhat[j]! + j, 14);
    // Row 1 is constant: xhat 0, u = beta.
    expect(u.toArray()[1]).toEqual([0, 1, 2, 3]);
  });

  it("is mode-independent", () => {
    const rng = new Rng(3);
    const ln = randomLayer(rng);
    const x = randomMat(rng, BATCH, DIM);
    const train = ln.forward(x, "train").clone();
    expect(ln.forward(x, "eval").toArray()).toEqual(train.toArray());
  });

  it("rejects bad shapes and backward before forward", () => {
    const ln = new LayerNorm(3);
    expect(() => ln.backward(Mat.zeros(2, 3))).toThrow(/before forward/);
    expect(() => ln.forward(Mat.zeros(2, 4), "train")).toThrow(RangeError);
    ln.forward(Mat.zeros(2, 3), "train");
    expect(() => ln.backward(Mat.zeros(3, 3))).toThrow(RangeError);
    expect(() => new LayerNorm(0)).toThrow(RangeError);
  });
});

describe("LayerNorm backward (central finite differences, float64)", () => {
  it("dL/dx, dL/dgamma, dL/dbeta", () => {
    const rng = new Rng(41);
    const ln = randomLayer(rng);
    const x = randomMat(rng, BATCH, DIM, 1.5, 2);
    const R = randomMat(rng, BATCH, DIM);
    const y0 = ln.forward(x, "train").clone();
    const loss = (): number => dot(R, ln.forward(x, "train"), y0);
    const dx = ln.backward(R).clone();
    const dgamma = ln.dgamma.clone();
    const dbeta = ln.dbeta.clone();
    expect(maxRelativeGradError(loss, x, dx)).toBeLessThan(TOL);
    expect(maxRelativeGradError(loss, ln.gamma, dgamma)).toBeLessThan(TOL);
    expect(maxRelativeGradError(loss, ln.beta, dbeta)).toBeLessThan(TOL);
    // Each row of dL/dx sums to 0: shifting a whole row leaves its normalization unchanged.
    for (let r = 0; r < BATCH; r++) {
      let s = 0;
      for (let j = 0; j < DIM; j++) s += dx.get(r, j);
      expect(Math.abs(s)).toBeLessThan(1e-12);
    }
  });

  it("gives zero input gradient for a constant row, beta's gradient still flows", () => {
    const ln = new LayerNorm(3);
    ln.gamma.data.set([2, 3, 4]);
    ln.forward(Mat.from([[5, 5, 5]]), "train");
    const dz = ln.backward(Mat.from([[1, 2, 3]]));
    // xhat = 0 exactly; dz = invStd * (g du - mean(g du)) with invStd = 1 / sqrt(eps).
    const gdu = [2, 6, 12];
    const invStd = 1 / Math.sqrt(1e-5);
    for (let j = 0; j < 3; j++) expect(dz.get(0, j)).toBeCloseTo(invStd * (gdu[j]! - 20 / 3), 9);
    expect(Array.from(ln.dbeta.data)).toEqual([1, 2, 3]);
    expect(Array.from(ln.dgamma.data)).toEqual([0, 0, 0]);
  });
});

describe("LayerNorm float32", () => {
  it("agrees with float64 within 1e-5 relative", () => {
    const rng = new Rng(51);
    const l64 = randomLayer(rng, "f64");
    // Identical (float32-representable) inputs and parameters in both layers.
    const x32 = randomMat(rng, BATCH, DIM, 3, 0.5).clone("f32");
    const R32 = randomMat(rng, BATCH, DIM).clone("f32");
    const l32 = new LayerNorm(DIM, "f32");
    l32.gamma.copyFrom(l64.gamma.clone("f32"));
    l32.beta.copyFrom(l64.beta.clone("f32"));
    l64.gamma.copyFrom(l32.gamma.clone("f64"));
    l64.beta.copyFrom(l32.beta.clone("f64"));
    const u32 = l32.forward(x32, "train");
    expect(u32.dtype).toBe("f32");
    expectClose(u32, l64.forward(x32.clone("f64"), "train"), 1e-5);
    expectClose(l32.backward(R32), l64.backward(R32.clone("f64")), 1e-5);
    expectClose(l32.dgamma, l64.dgamma, 1e-5);
    expectClose(l32.dbeta, l64.dbeta, 1e-5);
  });
});

describe("LayerNorm buffers", () => {
  it("reuses its output and gradient buffers for the same batch size", () => {
    const rng = new Rng(61);
    const ln = randomLayer(rng);
    const R = randomMat(rng, BATCH, DIM);
    const u1 = ln.forward(randomMat(rng, BATCH, DIM), "train");
    const d1 = ln.backward(R);
    const u2 = ln.forward(randomMat(rng, BATCH, DIM), "train");
    const d2 = ln.backward(R);
    expect(u2).toBe(u1);
    expect(d2).toBe(d1);
    expect(ln.params().map((p) => p.name)).toEqual(["gamma", "beta"]);
    expect(ln.params()[1]!.grad).toBe(ln.dbeta);
  });
});

/** Elementwise |a - b| <= tol * max(|b|, 1e-3 * max|b|). */
function expectClose(a: Mat, b: Mat, tol: number): void {
  expect(a.rows).toBe(b.rows);
  expect(a.cols).toBe(b.cols);
  let scale = 0;
  for (let i = 0; i < b.size; i++) scale = Math.max(scale, Math.abs(b.data[i]!));
  for (let i = 0; i < b.size; i++) {
    const want = b.data[i]!;
    const err = Math.abs(a.data[i]! - want);
    expect(err).toBeLessThanOrEqual(tol * Math.max(Math.abs(want), 1e-3 * scale));
  }
}
