import { describe, expect, it } from "vitest";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { householderQr } from "./qr.ts";

function gaussian(rows: number, cols: number, seed: number): Mat {
  const a = Mat.zeros(rows, cols);
  new Rng(seed).fillNormal(a.data);
  return a;
}

/** max |(Q^T Q)_ij - delta_ij| */
function orthonormalityError(q: Mat): number {
  let worst = 0;
  for (let a = 0; a < q.cols; a++) {
    for (let b = 0; b < q.cols; b++) {
      let dot = 0;
      for (let i = 0; i < q.rows; i++) dot += q.get(i, a) * q.get(i, b);
      worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/** max |(Q R - A)_ij| */
function reconstructionError(q: Mat, r: Mat, a: Mat): number {
  let worst = 0;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      let s = 0;
      for (let p = 0; p < q.cols; p++) s += q.get(i, p) * r.get(p, j);
      worst = Math.max(worst, Math.abs(s - a.get(i, j)));
    }
  }
  return worst;
}

function belowDiagonal(r: Mat): number[] {
  const out: number[] = [];
  for (let i = 0; i < r.rows; i++)
    for (let j = 0; j < Math.min(i, r.cols); j++) out.push(r.get(i, j));
  return out;
}

describe("householderQr", () => {
  const shapes: [number, number][] = [
    [1, 1],
    [5, 5],
    [7, 3],
    [3, 7],
    [60, 40],
    [40, 60],
    [100, 100],
  ];
  for (const [m, n] of shapes) {
    it(`factors a ${m}x${n} Gaussian matrix: Q orthonormal, R upper triangular, QR = A`, () => {
      const a = gaussian(m, n, 11 * m + n);
      const before = Array.from(a.data);
      const { q, r } = householderQr(a);
      const k = Math.min(m, n);
      expect([q.rows, q.cols, r.rows, r.cols]).toEqual([m, k, k, n]);
      expect(orthonormalityError(q)).toBeLessThan(1e-12);
      expect(reconstructionError(q, r, a)).toBeLessThan(1e-12);
      expect(belowDiagonal(r).every((x) => x === 0)).toBe(true);
      expect(Array.from(a.data)).toEqual(before); // input untouched
    });
  }

  it("matches a hand-computed 2x2 factorization", () => {
    // A = [[3, 1], [4, 2]]: the reflector maps (3, 4) to -5 e_0, so
    // Q = [[-0.6, -0.8], [-0.8, 0.6]], R = [[-5, -2.2], [0, 0.4]].
    const { q, r } = householderQr(
      Mat.from([
        [3, 1],
        [4, 2],
      ]),
    );
    const want = { q: [-0.6, -0.8, -0.8, 0.6], r: [-5, -2.2, 0, 0.4] };
    for (const [i, x] of q.data.entries()) expect(x).toBeCloseTo(want.q[i]!, 14);
    for (const [i, x] of r.data.entries()) expect(x).toBeCloseTo(want.r[i]!, 14);
  });

  it("leaves an upper-triangular matrix alone (no reflection for zero subcolumns)", () => {
    const a = Mat.from([
      [2, -1, 3],
      [0, -4, 5],
      [0, 0, 6],
    ]);
    const { q, r } = householderQr(a);
    expect(q.toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(r.toArray()).toEqual(a.toArray());
  });

  it("handles rank deficiency (a zero column and a repeated column)", () => {
    const a = gaussian(6, 4, 3);
    for (let i = 0; i < 6; i++) {
      a.set(i, 1, 0);
      a.set(i, 3, a.get(i, 0));
    }
    const { q, r } = householderQr(a);
    expect(orthonormalityError(q)).toBeLessThan(1e-12);
    expect(reconstructionError(q, r, a)).toBeLessThan(1e-12);
  });

  it("survives entries near the overflow threshold", () => {
    const a = Mat.from([
      [1e300, 2e300],
      [1e300, -1e300],
    ]);
    const { q, r } = householderQr(a);
    expect(orthonormalityError(q)).toBeLessThan(1e-15);
    // |R_00| = ||(1e300, 1e300)|| = sqrt(2) 1e300, which a naive sum of squares sends to Infinity.
    expect(Math.abs(Math.abs(r.get(0, 0)) / (Math.SQRT2 * 1e300) - 1)).toBeLessThan(1e-15);
    expect(reconstructionError(q, r, a) / 1e300).toBeLessThan(1e-15);
  });

  it("reads f32 input in float64", () => {
    const a = gaussian(8, 5, 9).clone("f32");
    const { q, r } = householderQr(a);
    expect(q.dtype).toBe("f64");
    expect(reconstructionError(q, r, a)).toBeLessThan(1e-12);
  });
});
