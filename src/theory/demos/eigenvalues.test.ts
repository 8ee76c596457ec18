import { describe, expect, it } from "vitest";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { jacobiSvd } from "../jacobian/jacobi-svd.ts";
import { type Eigenvalue, eigenvalues, spectralRadius } from "./eigenvalues.ts";

function randomMatrix(n: number, rng: Rng, positive = false): number[][] {
  return Array.from({ length: n }, () =>
    Array.from({ length: n }, () => (positive ? rng.uniform() : rng.normal())),
  );
}

/** A random orthogonal matrix: the U of a Gaussian matrix's SVD. */
function randomOrthogonal(n: number, rng: Rng): number[][] {
  return jacobiSvd(Mat.from(randomMatrix(n, rng))).U.toArray();
}

function matmul(A: number[][], B: number[][]): number[][] {
  return A.map((row) => B[0]!.map((_, j) => row.reduce((s, a, p) => s + a * B[p]![j]!, 0)));
}

function transpose(A: number[][]): number[][] {
  return A[0]!.map((_, j) => A.map((row) => row[j]!));
}

/**
 * Smallest singular value of A - lambda I, through the real 2n x 2n form of the complex
 * matrix [[A - aI, bI], [-bI, A - aI]] for lambda = a + ib: ~0 exactly when lambda is an
 * eigenvalue. An independent residual check that needs no eigenvectors.
 */
function residual(A: number[][], lambda: Eigenvalue): number {
  const n = A.length;
  const M = Mat.zeros(2 * n, 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const v = A[i]![j]! - (i === j ? lambda.re : 0);
      M.set(i, j, v);
      M.set(n + i, n + j, v);
    }
    M.set(i, n + i, lambda.im);
    M.set(n + i, i, -lambda.im);
  }
  const S = jacobiSvd(M).S;
  return S[S.length - 1]!;
}

/** Spectral radius by power iteration (for matrices with a dominant positive eigenvalue). */
function powerIteration(A: number[][], steps: number): number {
  let v = A.map(() => 1);
  let lambda = 0;
  for (let k = 0; k < steps; k++) {
    const w = A.map((row) => row.reduce((s, a, j) => s + a * v[j]!, 0));
    lambda = Math.hypot(...w) / Math.hypot(...v);
    v = w.map((x) => x / Math.hypot(...w));
  }
  return lambda;
}

describe("eigenvalues", () => {
  it("finds e^{+-i theta} for a rotation: radius exactly 1", () => {
    for (const theta of [0.3, Math.PI / 2, 2.5]) {
      const c = Math.cos(theta);
      const s = Math.sin(theta);
      const ev = eigenvalues([
        [c, -s],
        [s, c],
      ]);
      expect(ev.map((e) => e.re)).toEqual([c, c]);
      expect(Math.abs(Math.abs(ev[0]!.im) - Math.abs(s))).toBeLessThan(1e-15);
      expect(ev[0]!.im).toBe(-ev[1]!.im);
      expect(Math.abs(spectralRadius(ev) - 1)).toBeLessThan(1e-15);
    }
  });

  it("finds unit-modulus pairs of a 6x6 rotation hidden by an orthogonal change of basis", () => {
    const rng = new Rng(2);
    const angles = [0.4, 1.1, 2.9];
    const R = Array.from({ length: 6 }, () => Array.from({ length: 6 }, () => 0));
    angles.forEach((t, k) => {
      R[2 * k]![2 * k] = Math.cos(t);
      R[2 * k]![2 * k + 1] = -Math.sin(t);
      R[2 * k + 1]![2 * k] = Math.sin(t);
      R[2 * k + 1]![2 * k + 1] = Math.cos(t);
    });
    const Q = randomOrthogonal(6, rng);
    const A = matmul(matmul(Q, R), transpose(Q));
    const ev = eigenvalues(A);
    for (const e of ev) expect(Math.abs(Math.hypot(e.re, e.im) - 1)).toBeLessThan(1e-13);
    const args = ev.map((e) => Math.abs(Math.atan2(e.im, e.re))).sort((a, b) => a - b);
    [0.4, 0.4, 1.1, 1.1, 2.9, 2.9].forEach((t, i) => {
      expect(args[i]!).toBeCloseTo(t, 12);
    });
  });

  it("gives radius 1 for the Jordan block [[1, 1], [0, 1]] and 0 for a nilpotent matrix", () => {
    expect(
      eigenvalues([
        [1, 1],
        [0, 1],
      ]),
    ).toEqual([
      { re: 1, im: 0 },
      { re: 1, im: 0 },
    ]);
    expect(
      spectralRadius(
        eigenvalues([
          [0, 1, 0],
          [0, 0, 1],
          [0, 0, 0],
        ]),
      ),
    ).toBe(0);
    expect(spectralRadius(eigenvalues([[-3]]))).toBe(3);
    expect(
      eigenvalues([
        [0, 0],
        [0, 0],
      ]),
    ).toEqual([
      { re: 0, im: 0 },
      { re: 0, im: 0 },
    ]);
  });

  it("returns eigenvalues of random matrices: trace, residuals and power iteration agree", () => {
    const rng = new Rng(11);
    for (const n of [3, 5, 10, 25]) {
      const A = randomMatrix(n, rng);
      const ev = eigenvalues(A);
      expect(ev).toHaveLength(n);
      const trace = A.reduce((s, row, i) => s + row[i]!, 0);
      expect(Math.abs(ev.reduce((s, e) => s + e.re, 0) - trace)).toBeLessThan(1e-12 * n);
      expect(Math.abs(ev.reduce((s, e) => s + e.im, 0))).toBeLessThan(1e-12 * n);
      const scale = Math.hypot(...A.flat());
      for (const e of ev) expect(residual(A, e)).toBeLessThan(1e-13 * scale);
    }
    // A positive matrix has a simple dominant eigenvalue (Perron): power iteration finds it.
    for (const n of [4, 12]) {
      const A = randomMatrix(n, rng, true);
      const rho = spectralRadius(eigenvalues(A));
      expect(Math.abs(rho - powerIteration(A, 200)) / rho).toBeLessThan(1e-12);
    }
  });

  it("rejects a non-square matrix and maps non-finite input to NaN", () => {
    expect(() => eigenvalues([[1, 2]])).toThrow(/square/);
    expect(Number.isNaN(spectralRadius(eigenvalues([[Number.NaN]])))).toBe(true);
  });
});
