import { describe, expect, it } from "vitest";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import { Dense } from "./dense.ts";

const TOL = 1e-6;

function randomMat(rng: Rng, rows: number, cols: number): Mat {
  const m = Mat.zeros(rows, cols);
  rng.fillNormal(m.data);
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

function randomDense(rng: Rng, inp: number, out: number): Dense {
  const d = new Dense(inp, out);
  rng.fillNormal(d.W.data, 0, 1 / Math.sqrt(inp));
  rng.fillNormal(d.b.data);
  return d;
}

/** Central-difference errors of dL/dW, dL/db, dL/dx for L = sum(R * (dense(x) - y0)). */
function gradErrors(dense: Dense, x: Mat, R: Mat) {
  const y0 = dense.forward(x, "train").clone();
  const loss = (): number => dot(R, dense.forward(x, "train"), y0);
  const dx = dense.backward(R).clone();
  const dW = dense.dW.clone();
  const db = dense.db.clone();
  return {
    dW: maxRelativeGradError(loss, dense.W, dW),
    db: maxRelativeGradError(loss, dense.b, db),
    // Without computeInputGrad there is no dL/dx to check.
    dx: dense.computeInputGrad ? maxRelativeGradError(loss, x, dx) : Number.NaN,
  };
}

describe("Dense forward", () => {
  it("computes x W^T + b (PyTorch nn.Linear layout)", () => {
    const d = new Dense(3, 2);
    d.W.data.set([1, 2, 3, 4, 5, 6]); // W = [[1, 2, 3], [4, 5, 6]]
    d.b.data.set([0.5, -1]);
    const z = d.forward(
      Mat.from([
        [1, 0, -1],
        [2, 1, 0],
      ]),
      "train",
    );
    // Row 0: [1 - 3, 4 - 6] + b = [-1.5, -3]; row 1: [2 + 2, 8 + 5] + b = [4.5, 12]
    expect(z.toArray()).toEqual([
      [-1.5, -3],
      [4.5, 12],
    ]);
  });

  it("matches a naive triple loop on sizes that leave every 4x4 tile remainder", () => {
    const rng = new Rng(7);
    for (const [inp, out, batch] of [
      [5, 7, 3],
      [6, 10, 6],
      [37, 41, 9],
      [8, 8, 8],
    ] as const) {
      const d = randomDense(rng, inp, out);
      const x = randomMat(rng, batch, inp);
      const z = d.forward(x, "train");
      for (let r = 0; r < batch; r++) {
        for (let o = 0; o < out; o++) {
          let s = d.b.get(0, o);
          for (let i = 0; i < inp; i++) s += x.get(r, i) * d.W.get(o, i);
          expect(z.get(r, o)).toBeCloseTo(s, 12);
        }
      }
    }
  });
});

describe("Dense backward (central finite differences, float64)", () => {
  // [in, out, batch]: 5x7x3 leaves remainders 3 (rows) and 3 (cols) of the 4x4 gemm tiles,
  // 6x10x6 remainders of 2, 37x41x9 several full tiles plus remainders of 1, 8x8x8 none.
  for (const [inp, out, batch] of [
    [5, 7, 3],
    [6, 10, 6],
    [37, 41, 9],
    [8, 8, 8],
  ] as const) {
    it(`dL/dW, dL/db, dL/dx for in=${inp}, out=${out}, batch=${batch}`, () => {
      const rng = new Rng(100 + inp);
      const d = randomDense(rng, inp, out);
      const x = randomMat(rng, batch, inp);
      const R = randomMat(rng, batch, out);
      const e = gradErrors(d, x, R);
      expect(e.dW).toBeLessThan(TOL);
      expect(e.db).toBeLessThan(TOL);
      expect(e.dx).toBeLessThan(TOL);
    });
  }

  it("computeInputGrad = false still fills dW and db, and skips dL/dx", () => {
    const rng = new Rng(200);
    const d = randomDense(rng, 5, 7);
    d.computeInputGrad = false;
    const x = randomMat(rng, 3, 5);
    const R = randomMat(rng, 3, 7);
    const e = gradErrors(d, x, R);
    expect(e.dW).toBeLessThan(TOL);
    expect(e.db).toBeLessThan(TOL);
    // The dx buffer keeps its shape but is never written (here: still the fresh zeros).
    const dx = d.backward(R);
    expect([dx.rows, dx.cols]).toEqual([3, 5]);
    expect(dx.data.every((v) => v === 0)).toBe(true);
  });
});

describe("Dense buffers", () => {
  it("reuses its output and gradient buffers for the same batch size", () => {
    const rng = new Rng(300);
    const d = randomDense(rng, 5, 7);
    const R = randomMat(rng, 3, 7);
    const z1 = d.forward(randomMat(rng, 3, 5), "train");
    const dx1 = d.backward(R);
    const z2 = d.forward(randomMat(rng, 3, 5), "train");
    const dx2 = d.backward(R);
    expect(z2).toBe(z1);
    expect(dx2).toBe(dx1);
    expect(d.params().map((p) => p.name)).toEqual(["W", "b"]);
    expect(d.params()[0]!.grad).toBe(d.dW);
  });
});
