import { describe, expect, it } from "vitest";
import type { DType } from "../dtype.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import { BatchNorm } from "./batch-norm.ts";
import type { Mode } from "./layer.ts";

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

/** A float64 layer with random (not 1 / 0) gamma and beta, so their gradients matter. */
function randomLayer(rng: Rng, dtype: DType = "f64"): BatchNorm {
  const bn = new BatchNorm(DIM, dtype);
  rng.fillUniform(bn.gamma.data, 0.5, 2);
  for (let j = 0; j < DIM; j += 2) bn.gamma.data[j] = -bn.gamma.data[j]!;
  rng.fillNormal(bn.beta.data);
  return bn;
}

/** Central-difference errors of dL/dx, dL/dgamma, dL/dbeta for L = sum(R * (bn(x) - y0)). */
function gradErrors(bn: BatchNorm, x: Mat, R: Mat, mode: Mode) {
  const y0 = bn.forward(x, mode).clone();
  const loss = (): number => dot(R, bn.forward(x, mode), y0);
  const dx = bn.backward(R).clone();
  const dgamma = bn.dgamma.clone();
  const dbeta = bn.dbeta.clone();
  return {
    dx: maxRelativeGradError(loss, x, dx),
    dgamma: maxRelativeGradError(loss, bn.gamma, dgamma),
    dbeta: maxRelativeGradError(loss, bn.beta, dbeta),
    dxMat: dx,
    y0,
  };
}

describe("BatchNorm forward", () => {
  it("normalizes a column [1, 2, 3, 4] with the biased batch variance", () => {
    const bn = new BatchNorm(1);
    const u = bn.forward(Mat.from([[1], [2], [3], [4]]), "train");
    // mean 2.5, biased var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, xhat = (x - 2.5) / sqrt(1.25 + 1e-5)
    const want = [-1.341635419968927, -0.447211806656309, 0.447211806656309, 1.341635419968927];
    for (let i = 0; i < 4; i++) expect(u.get(i, 0)).toBeCloseTo(want[i]!, 12);
    expect(bn.lastMean.get(0, 0)).toBe(2.5);
    expect(bn.lastVar.get(0, 0)).toBe(1.25);
  });

  it("applies gamma and beta per feature", () => {
    const bn = new BatchNorm(2);
    bn.gamma.data.set([2, -1]);
    bn.beta.data.set([0.5, 3]);
    const u = bn.forward(
      Mat.from([
        [1, 10],
        [3, 10],
      ]),
      "train",
    );
    // Column 0: mean 2, var 1, xhat = -+1/sqrt(1 + 1e-5). Column 1 is constant: xhat 0 -> beta.
    const s = 1 / Math.sqrt(1 + 1e-5);
    expect(u.get(0, 0)).toBeCloseTo(0.5 - 2 * s, 14);
    expect(u.get(1, 0)).toBeCloseTo(0.5 + 2 * s, 14);
    expect(u.get(0, 1)).toBe(3);
    expect(u.get(1, 1)).toBe(3);
  });

  it("updates the running statistics like PyTorch (unbiased variance)", () => {
    const bn = new BatchNorm(1);
    bn.forward(Mat.from([[1], [2], [3], [4]]), "train");
    // runningMean = 0.9 * 0 + 0.1 * 2.5; runningVar = 0.9 * 1 + 0.1 * (5 / 3)
    expect(bn.runningMean.get(0, 0)).toBeCloseTo(0.25, 15);
    expect(bn.runningVar.get(0, 0)).toBeCloseTo(1.0666666666666667, 15);
    bn.forward(Mat.from([[0], [0], [6], [6]]), "train");
    // mean 3, unbiased var 36 / 3 = 12
    expect(bn.runningMean.get(0, 0)).toBeCloseTo(0.9 * 0.25 + 0.1 * 3, 15);
    expect(bn.runningVar.get(0, 0)).toBeCloseTo(0.9 * 1.0666666666666667 + 0.1 * 12, 14);
  });

  it("honours the momentum option and leaves running stats alone in eval mode", () => {
    const bn = new BatchNorm(1, "f64", { momentum: 0.5 });
    bn.forward(Mat.from([[1], [2], [3], [4]]), "train");
    expect(bn.runningMean.get(0, 0)).toBeCloseTo(1.25, 15);
    expect(bn.runningVar.get(0, 0)).toBeCloseTo(0.5 + 0.5 * (5 / 3), 15);
    const u = bn.forward(Mat.from([[1.25], [3]]), "eval");
    expect(bn.runningMean.get(0, 0)).toBeCloseTo(1.25, 15);
    const rv = 0.5 + 0.5 * (5 / 3);
    expect(u.get(0, 0)).toBe(0);
    expect(u.get(1, 0)).toBeCloseTo(1.75 / Math.sqrt(rv + 1e-5), 14);
  });

  it("handles a batch of one in train mode: output beta, zero input gradient", () => {
    const bn = new BatchNorm(3);
    bn.gamma.data.set([2, 3, 4]);
    bn.beta.data.set([-1, 0, 1]);
    const u = bn.forward(Mat.from([[5, -7, 1e6]]), "train");
    expect(u.toArray()).toEqual([[-1, 0, 1]]);
    // runningMean moves, runningVar does not (the unbiased variance of one sample is undefined).
    const rm = bn.runningMean.data;
    expect(rm[0]).toBeCloseTo(0.5, 15);
    expect(rm[1]).toBeCloseTo(-0.7, 15);
    expect(rm[2]).toBeCloseTo(1e5, 9);
    expect(bn.runningVar.toArray()).toEqual([[1, 1, 1]]);
    const dz = bn.backward(Mat.from([[1, 2, 3]]));
    expect(Array.from(dz.data)).toEqual([0, 0, 0]);
    expect(Array.from(bn.dbeta.data)).toEqual([1, 2, 3]);
    expect(Array.from(bn.dgamma.data)).toEqual([0, 0, 0]);
  });

  it("rejects bad shapes and backward before forward", () => {
    const bn = new BatchNorm(3);
    expect(() => bn.backward(Mat.zeros(2, 3))).toThrow(/before forward/);
    expect(() => bn.forward(Mat.zeros(2, 4), "train")).toThrow(RangeError);
    bn.forward(Mat.zeros(2, 3), "train");
    expect(() => bn.backward(Mat.zeros(3, 3))).toThrow(RangeError);
    expect(() => new BatchNorm(0)).toThrow(RangeError);
  });
});

describe("BatchNorm backward (central finite differences, float64)", () => {
  it("train mode: dL/dx, dL/dgamma, dL/dbeta through the batch statistics", () => {
    const rng = new Rng(11);
    const bn = randomLayer(rng);
    // Offset and scaled inputs so the normalization does real work.
    const x = randomMat(rng, BATCH, DIM, 1.5, 2);
    const R = randomMat(rng, BATCH, DIM);
    const e = gradErrors(bn, x, R, "train");
    expect(e.dx).toBeLessThan(TOL);
    expect(e.dgamma).toBeLessThan(TOL);
    expect(e.dbeta).toBeLessThan(TOL);
    // The train-mode input gradient is orthogonal to the constant and to xhat per feature.
    for (let j = 0; j < DIM; j++) {
      let s = 0;
      for (let r = 0; r < BATCH; r++) s += e.dxMat.get(r, j);
      expect(Math.abs(s)).toBeLessThan(1e-12);
    }
  });

  it("eval mode after some running-stat updates: the affine derivative", () => {
    const rng = new Rng(12);
    const bn = randomLayer(rng);
    for (let step = 0; step < 5; step++) bn.forward(randomMat(rng, BATCH, DIM, 0.7, 1.8), "train");
    // The running stats really moved away from their 0 / 1 start.
    for (let j = 0; j < DIM; j++) {
      expect(Math.abs(bn.runningMean.data[j]!)).toBeGreaterThan(0.05);
      expect(Math.abs(bn.runningVar.data[j]! - 1)).toBeGreaterThan(0.05);
    }
    const x = randomMat(rng, BATCH, DIM, 0.5, 1.5);
    const R = randomMat(rng, BATCH, DIM);
    const e = gradErrors(bn, x, R, "eval");
    expect(e.dx).toBeLessThan(TOL);
    expect(e.dgamma).toBeLessThan(TOL);
    expect(e.dbeta).toBeLessThan(TOL);
  });

  it("train mode with a batch of two (the smallest with a variance)", () => {
    const rng = new Rng(13);
    const bn = randomLayer(rng);
    const x = randomMat(rng, 2, DIM, 0, 1);
    const R = randomMat(rng, 2, DIM);
    const e = gradErrors(bn, x, R, "train");
    expect(e.dgamma).toBeLessThan(TOL);
    expect(e.dbeta).toBeLessThan(TOL);
    // With two rows xhat = -+1 (up to eps) and dL/dx is ~eps-sized: compare absolutely.
    expect(
      maxRelativeGradError(() => dot(R, bn.forward(x, "train"), e.y0), x, e.dxMat, { floor: 1 }),
    ).toBeLessThan(1e-8);
  });
});

describe("BatchNorm float32", () => {
  it("agrees with float64 within 1e-5 relative, train and eval", () => {
    const rng = new Rng(21);
    const b64 = randomLayer(rng, "f64");
    // Identical (float32-representable) inputs and parameters in both layers.
    const x32 = randomMat(rng, BATCH, DIM, 3, 0.5).clone("f32");
    const R32 = randomMat(rng, BATCH, DIM).clone("f32");
    const b32 = new BatchNorm(DIM, "f32");
    b32.gamma.copyFrom(b64.gamma.clone("f32"));
    b32.beta.copyFrom(b64.beta.clone("f32"));
    b64.gamma.copyFrom(b32.gamma.clone("f64"));
    b64.beta.copyFrom(b32.beta.clone("f64"));
    const x64 = x32.clone("f64");
    const R64 = R32.clone("f64");
    for (const mode of ["train", "eval"] as const) {
      const u32 = b32.forward(x32, mode);
      const u64 = b64.forward(x64, mode);
      expect(u32.dtype).toBe("f32");
      expectClose(u32, u64, 1e-5);
      expectClose(b32.backward(R32), b64.backward(R64), 1e-5);
      expectClose(b32.dgamma, b64.dgamma, 1e-5);
      expectClose(b32.dbeta, b64.dbeta, 1e-5);
      expectClose(b32.runningMean, b64.runningMean, 1e-5);
      expectClose(b32.runningVar, b64.runningVar, 1e-5);
    }
  });
});

describe("BatchNorm buffers", () => {
  it("reuses its output and gradient buffers for the same batch size", () => {
    const rng = new Rng(31);
    const bn = randomLayer(rng);
    const x = randomMat(rng, BATCH, DIM);
    const R = randomMat(rng, BATCH, DIM);
    const u1 = bn.forward(x, "train");
    const d1 = bn.backward(R);
    const u2 = bn.forward(randomMat(rng, BATCH, DIM), "train");
    const d2 = bn.backward(R);
    expect(u2).toBe(u1);
    expect(d2).toBe(d1);
    expect(bn.forward(x, "eval")).toBe(u1);
    expect(bn.backward(R)).toBe(d1);
    expect(bn.params().map((p) => p.name)).toEqual(["gamma", "beta"]);
    expect(bn.params()[0]!.grad).toBe(bn.dgamma);
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
