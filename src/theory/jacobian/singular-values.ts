import type { Mat } from "../../core/mat.ts";
import { bidiagonalize } from "./bidiagonal.ts";
import { bidiagonalSingularValues } from "./bidiagonal-svd.ts";
import { unitScale } from "./scaling.ts";

/**
 * All singular values of A, descending, without vectors: Householder bidiagonalization
 * (about (8/3) n^3 flops) and then bisection on the bidiagonal. Each value is accurate to
 * about eps * ||A|| (the backward error of the reduction), the same guarantee as a full SVD.
 * A is not modified; non-finite entries give NaN values.
 */
export function singularValues(A: Mat): Float64Array {
  const wide = A.rows < A.cols;
  // Work on a float64 copy with rows >= cols (A and A^T share their singular values).
  const m = wide ? A.cols : A.rows;
  const n = wide ? A.rows : A.cols;
  const work = new Float64Array(m * n);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < A.cols; j++) {
      const v = A.data[i * A.cols + j]!;
      if (wide) work[j * n + i] = v;
      else work[i * n + j] = v;
    }
  }
  for (let i = 0; i < work.length; i++) {
    if (!Number.isFinite(work[i]!)) return new Float64Array(n).fill(Number.NaN);
  }
  const scale = unitScale(work);
  if (scale !== 1) for (let i = 0; i < work.length; i++) work[i] = work[i]! * scale;
  const { d, e } = bidiagonalize(work, m, n);
  const sigma = bidiagonalSingularValues(d, e);
  for (let i = 0; i < n; i++) sigma[i] = sigma[i]! / scale;
  return sigma;
}
