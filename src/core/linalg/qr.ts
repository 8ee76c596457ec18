import { Mat } from "../mat.ts";

/** A thin QR factorization A = Q R of an m x n matrix, k = min(m, n). Both factors are f64. */
export interface QrFactors {
  /** m x k with orthonormal columns (Q^T Q = I_k). */
  q: Mat;
  /** k x n upper triangular (exact zeros below the diagonal). */
  r: Mat;
}

/**
 * Householder QR in float64 (Golub & Van Loan, Alg. 5.2.1), returning the thin factors.
 * Any shape works; the input is read (converted to f64 if it is f32) and never modified.
 *
 * Conventions worth knowing when using it for Haar-random matrices: each reflector maps its
 * column x to -sign(x_0) ||x|| e_0 (the sign that avoids cancellation), so diag(R) has no
 * fixed sign; a column that is already zero below the diagonal gets no reflector (as LAPACK's
 * dlarfg), so an upper-triangular A comes back as Q = I, R = A.
 */
export function householderQr(a: Mat): QrFactors {
  const m = a.rows;
  const n = a.cols;
  const k = Math.min(m, n);
  // Work on a row-major f64 copy of A that becomes R.
  const work = Float64Array.from(a.data.subarray(0, m * n));
  const reflectors: (Float64Array | null)[] = [];
  for (let j = 0; j < k; j++) {
    const reflector = householderReflector(work, m, n, j);
    reflectors.push(reflector?.u ?? null);
    if (reflector !== null) {
      applyReflector(reflector.u, work, j, j + 1, n);
      // Column j itself becomes (beta, 0, ..., 0): write it exactly instead of via rounding.
      work[j * n + j] = reflector.beta;
      for (let i = j + 1; i < m; i++) work[i * n + j] = 0;
    }
  }
  return { q: accumulateQ(reflectors, m, k), r: upperRows(work, k, n) };
}

/**
 * The reflector H = I - 2 u u^T (u a unit vector of length m - j acting on rows j..m-1) with
 * H x = beta e_0 for x = column j of `work` from row j down, or null when x is already zero
 * below its first entry and no reflection is needed.
 */
function householderReflector(
  work: Float64Array,
  m: number,
  n: number,
  j: number,
): { u: Float64Array; beta: number } | null {
  const len = m - j;
  if (len <= 1 || columnNorm(work, n, j + 1, m, j) === 0) return null;
  const u = new Float64Array(len);
  for (let i = 0; i < len; i++) u[i] = work[(j + i) * n + j]!;
  // beta = -sign(x_0) ||x|| (sign(0) = +1), so u_0 = x_0 - beta adds magnitudes: no cancellation.
  const beta = u[0]! >= 0 ? -vectorNorm(u) : vectorNorm(u);
  u[0] = u[0]! - beta;
  const norm = vectorNorm(u);
  for (let i = 0; i < len; i++) u[i] = u[i]! / norm;
  return { u, beta };
}

/**
 * A <- H A on rows `row0`.. and columns `col0`..cols-1 of a row-major matrix with `cols`
 * columns, H = I - 2 u u^T. Done as w = u^T A then A -= 2 u w, so both passes walk rows
 * contiguously (a column-at-a-time loop would stride through memory).
 */
function applyReflector(
  u: Float64Array,
  data: Float64Array,
  row0: number,
  col0: number,
  cols: number,
): void {
  const width = cols - col0;
  if (width <= 0) return;
  const w = new Float64Array(width);
  for (let i = 0; i < u.length; i++) {
    const ui = u[i]!;
    const base = (row0 + i) * cols + col0;
    for (let c = 0; c < width; c++) w[c] = w[c]! + ui * data[base + c]!;
  }
  for (let i = 0; i < u.length; i++) {
    const ui2 = 2 * u[i]!;
    const base = (row0 + i) * cols + col0;
    for (let c = 0; c < width; c++) data[base + c] = data[base + c]! - ui2 * w[c]!;
  }
}

/**
 * Thin Q = H_0 H_1 ... H_{k-1} [I_k; 0], applied backwards to the first k columns of I_m.
 * H_j touches rows >= j only, and while it is applied columns < j are still unit vectors e_c
 * with c < j, so it can skip them.
 */
function accumulateQ(reflectors: readonly (Float64Array | null)[], m: number, k: number): Mat {
  const q = Mat.zeros(m, k, "f64");
  const data = q.data as Float64Array;
  for (let i = 0; i < k; i++) data[i * k + i] = 1;
  for (let j = reflectors.length - 1; j >= 0; j--) {
    const u = reflectors[j];
    if (u) applyReflector(u, data, j, j, k);
  }
  return q;
}

/** The first k rows of the reduced work matrix, as the k x n upper-triangular R. */
function upperRows(work: Float64Array, k: number, n: number): Mat {
  const r = Mat.zeros(k, n, "f64");
  r.data.set(work.subarray(0, k * n));
  return r;
}

/** Euclidean norm of column `col`, rows row0..row1-1, of a row-major matrix with `cols` columns. */
function columnNorm(
  data: Float64Array,
  cols: number,
  row0: number,
  row1: number,
  col: number,
): number {
  const acc = new ScaledSumOfSquares();
  for (let i = row0; i < row1; i++) acc.add(data[i * cols + col]!);
  return acc.norm();
}

function vectorNorm(v: Float64Array): number {
  const acc = new ScaledSumOfSquares();
  for (let i = 0; i < v.length; i++) acc.add(v[i]!);
  return acc.norm();
}

/**
 * sqrt(sum x_i^2) as scale * sqrt(ssq) (LAPACK dnrm2's scheme), so entries near the overflow
 * or underflow thresholds do not turn the norm into Infinity or 0.
 */
class ScaledSumOfSquares {
  private scale = 0;
  private ssq = 1;

  add(x: number): void {
    if (x === 0) return;
    const ax = Math.abs(x);
    if (this.scale < ax) {
      const ratio = this.scale / ax;
      this.ssq = 1 + this.ssq * ratio * ratio;
      this.scale = ax;
    } else {
      const ratio = ax / this.scale;
      this.ssq += ratio * ratio;
    }
  }

  norm(): number {
    return this.scale * Math.sqrt(this.ssq);
  }
}
