import { describe, expect, it } from "vitest";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { bidiagonalSingularValues } from "./bidiagonal-svd.ts";
import { jacobiSvd } from "./jacobi-svd.ts";
import { singularValues } from "./singular-values.ts";

function gaussian(rows: number, cols: number, seed: number): Mat {
  const A = Mat.zeros(rows, cols);
  new Rng(seed).fillNormal(A.data);
  return A;
}

function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]!));
  return m;
}

/** max |(U S V^T - A)_ij|. */
function reconstructionError(A: Mat, U: Mat, S: Float64Array, V: Mat): number {
  let worst = 0;
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < A.cols; j++) {
      let s = 0;
      for (let k = 0; k < S.length; k++) s += U.get(i, k) * S[k]! * V.get(j, k);
      worst = Math.max(worst, Math.abs(s - A.get(i, j)));
    }
  }
  return worst;
}

/** max |(Q^T Q - I)_ij| over the columns of Q. */
function orthonormalityError(Q: Mat): number {
  let worst = 0;
  for (let a = 0; a < Q.cols; a++) {
    for (let b = 0; b < Q.cols; b++) {
      let s = 0;
      for (let i = 0; i < Q.rows; i++) s += Q.get(i, a) * Q.get(i, b);
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

/** Singular values of [[a, b], [c, d]] in closed form. */
function closedForm2x2(a: number, b: number, c: number, d: number): [number, number] {
  const s = a * a + b * b + c * c + d * d;
  const det = Math.abs(a * d - b * c);
  // sigma1 sigma2 = |det| and sigma1^2 + sigma2^2 = s; the small one from the product is exact.
  const big = Math.sqrt((s + Math.sqrt(Math.max(0, s * s - 4 * det * det))) / 2);
  return [big, big > 0 ? det / big : 0];
}

/** Spacing of doubles at v. */
function ulp(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52);
}

describe("jacobiSvd", () => {
  it("reconstructs U S V^T for random matrices of every shape to 1e-12", () => {
    const shapes: [number, number][] = [
      [1, 1],
      [2, 2],
      [5, 5],
      [8, 3],
      [3, 8],
      [40, 40],
      [60, 25],
    ];
    shapes.forEach(([m, n], seed) => {
      const A = gaussian(m, n, seed + 1);
      const { U, S, V } = jacobiSvd(A);
      expect(U.rows).toBe(m);
      expect(V.rows).toBe(n);
      expect(reconstructionError(A, U, S, V)).toBeLessThan(1e-12);
      expect(orthonormalityError(U)).toBeLessThan(1e-12);
      expect(orthonormalityError(V)).toBeLessThan(1e-12);
      for (let k = 1; k < S.length; k++) expect(S[k]!).toBeLessThanOrEqual(S[k - 1]!);
    });
  });

  it("keeps U orthonormal for a rank-deficient matrix", () => {
    // Rank 2: the third column is the sum of the first two.
    const A = Mat.from([
      [1, 2, 3],
      [4, 5, 9],
      [7, 8, 15],
      [1, 0, 1],
    ]);
    const { U, S, V } = jacobiSvd(A);
    expect(S[2]!).toBeLessThan(1e-14 * S[0]!);
    expect(reconstructionError(A, U, S, V)).toBeLessThan(1e-12);
    expect(orthonormalityError(U)).toBeLessThan(1e-12);
  });

  it("handles entries near the ends of the float64 range by exact rescaling", () => {
    for (const scale of [1e-200, 1e200]) {
      const A = Mat.from([
        [3 * scale, 0],
        [0, 4 * scale],
      ]);
      const { S } = jacobiSvd(A);
      expect(S[0]! / scale).toBeCloseTo(4, 14);
      expect(S[1]! / scale).toBeCloseTo(3, 14);
    }
  });
});

describe("singularValues (bidiagonalization + bisection)", () => {
  it("matches the 2x2 closed form", () => {
    const cases: [number, number, number, number][] = [
      [1, 2, 3, 4],
      [2, 0, 0, 3],
      [0, 1, 0, 0],
      [1, 1e-8, -1e-8, 1],
      [5, -3, 2, 7],
    ];
    for (const [a, b, c, d] of cases) {
      const exact = closedForm2x2(a, b, c, d);
      const A = Mat.from([
        [a, b],
        [c, d],
      ]);
      for (const got of [singularValues(A), jacobiSvd(A).S]) {
        expect(Math.abs(got[0]! - exact[0])).toBeLessThan(1e-15 * exact[0] + 1e-300);
        expect(Math.abs(got[1]! - exact[1])).toBeLessThan(4e-16 * exact[0] + 1e-300);
      }
    }
  });

  it("agrees with one-sided Jacobi on random matrices to a few ulps of ||A||", () => {
    const shapes: [number, number][] = [
      [7, 7],
      [30, 30],
      [64, 64],
      [50, 20],
      [20, 50],
    ];
    shapes.forEach(([m, n], seed) => {
      const A = gaussian(m, n, 100 + seed);
      const fast = singularValues(A);
      const ref = jacobiSvd(A).S;
      expect(fast.length).toBe(Math.min(m, n));
      let worst = 0;
      for (let k = 0; k < fast.length; k++) worst = Math.max(worst, Math.abs(fast[k]! - ref[k]!));
      expect(worst).toBeLessThan(1e-13 * ref[0]!);
    });
  });

  it("is invariant under transposition and exact for diagonal matrices", () => {
    const A = gaussian(12, 9, 7);
    const At = Mat.zeros(9, 12);
    for (let i = 0; i < 12; i++) for (let j = 0; j < 9; j++) At.set(j, i, A.get(i, j));
    const a = singularValues(A);
    const b = singularValues(At);
    for (let k = 0; k < 9; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-13 * a[0]!);

    const D = Mat.from([
      [3, 0, 0],
      [0, -5, 0],
      [0, 0, 0.5],
    ]);
    const s = singularValues(D);
    [5, 3, 0.5].forEach((v, k) => {
      expect(Math.abs(s[k]! - v)).toBeLessThanOrEqual(2 * ulp(v));
    });
  });

  it("finds graded singular values of a bidiagonal to high relative accuracy", () => {
    // Diagonal spanning 40 orders of magnitude with tiny couplings: the small values must not
    // be swamped by the large ones (absolute accuracy eps * 1 would say nothing about 1e-40).
    const d = Float64Array.from([1, 1e-10, 1e-20, 1e-30, 1e-40]);
    const e = Float64Array.from([1e-30, 1e-40, 1e-50, 1e-60]);
    const got = bidiagonalSingularValues(d, e);
    const expected = [1, 1e-10, 1e-20, 1e-30, 1e-40];
    expected.forEach((s, k) => {
      expect(Math.abs(got[k]! - s)).toBeLessThanOrEqual(4 * ulp(s));
    });
  });

  it("returns exact zeros for singular directions, NaN for non-finite input", () => {
    expect(Array.from(singularValues(Mat.zeros(3, 3)))).toEqual([0, 0, 0]);
    const rankOne = Mat.from([
      [1, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(Array.from(singularValues(rankOne))).toEqual([1, 0, 0]);
    const bad = Mat.from([
      [1, Number.NaN],
      [0, 1],
    ]);
    expect(Array.from(singularValues(bad)).every(Number.isNaN)).toBe(true);
  });

  it("gives all ones for an orthogonal matrix (a cluster costs no precision)", () => {
    const { U } = jacobiSvd(gaussian(50, 50, 3));
    const s = singularValues(U);
    expect(maxAbs(s.map((v) => v - 1))).toBeLessThan(1e-13);
  });
});
