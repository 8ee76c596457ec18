import { describe, expect, it } from "vitest";
import { Rng } from "../rng.ts";
import { gemmNN, gemmNT, gemmTN, transpose } from "./gemm.ts";

function naive(
  m: number,
  n: number,
  k: number,
  a: (i: number, p: number) => number,
  b: (p: number, j: number) => number,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a(i, p) * b(p, j);
      c[i * n + j] = s;
    }
  return c;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i]! - y[i]!));
  return d;
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 4, 4],
  [9, 13, 6],
  [17, 2, 33],
  [64, 37, 21],
];

describe("gemm kernels", () => {
  const rng = new Rng(7);
  for (const [m, n, k] of shapes) {
    it(`NT, NN and TN agree with the naive product at ${m}x${n}x${k}`, () => {
      const A = new Float64Array(m * k);
      const Bt = new Float64Array(n * k);
      rng.fillNormal(A);
      rng.fillNormal(Bt);
      const want = naive(
        m,
        n,
        k,
        (i, p) => A[i * k + p]!,
        (p, j) => Bt[j * k + p]!,
      );
      const C = new Float64Array(m * n);
      gemmNT(m, n, k, A, Bt, C);
      expect(maxAbsDiff(C, want)).toBeLessThan(1e-12);
      // accumulate adds onto C
      gemmNT(m, n, k, A, Bt, C, true);
      expect(
        maxAbsDiff(
          C,
          want.map((v) => 2 * v),
        ),
      ).toBeLessThan(1e-12);
      // NN with B = Bt^T
      const B = new Float64Array(k * n);
      transpose(Bt, n, k, B);
      const C2 = new Float64Array(m * n);
      gemmNN(m, n, k, A, B, C2, new Float64Array(k * n));
      expect(maxAbsDiff(C2, want)).toBeLessThan(1e-12);
      // TN with At = A^T
      const At = new Float64Array(k * m);
      transpose(A, m, k, At);
      const C3 = new Float64Array(m * n);
      gemmTN(m, n, k, At, B, C3, new Float64Array(k * m), new Float64Array(k * n));
      expect(maxAbsDiff(C3, want)).toBeLessThan(1e-12);
    });
  }
  it("works in float32 buffers", () => {
    const A = Float32Array.from([1, 2, 3, 4]);
    const B = Float32Array.from([5, 6, 7, 8]);
    const C = new Float32Array(4);
    gemmNT(2, 2, 2, A, B, C); // [[1,2],[3,4]] * [[5,6],[7,8]]^T
    expect(Array.from(C)).toEqual([17, 23, 39, 53]);
  });
});
