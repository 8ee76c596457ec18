/**
 * Singular values of the upper bidiagonal matrix with diagonal d[0..n) and superdiagonal
 * e[0..n-1), by Sturm-sequence bisection on the Golub-Kahan matrix
 *   T = tridiag(off = d0, e0, d1, e1, ..., d_{n-1}; diagonal 0)   (2n x 2n),
 * whose eigenvalues are exactly +-sigma_i. Bisection on this zero-diagonal matrix finds each
 * sigma to high relative accuracy (Demmel & Kahan 1990), so tiny singular values are not
 * swamped by large ones. Returns them in descending order.
 *
 * Intervals are split recursively and share their counts, so clusters of equal values
 * (e.g. all ones for an orthogonal matrix) cost no more than distinct ones.
 */
export function bidiagonalSingularValues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  // Squared off-diagonals of T.
  const b2 = new Float64Array(2 * n - 1);
  let bound = 0;
  for (let i = 0; i < 2 * n - 1; i++) {
    const b = i % 2 === 0 ? d[i / 2]! : e[(i - 1) / 2]!;
    b2[i] = b * b;
  }
  // Gershgorin: every |eigenvalue| is at most the largest row sum of |off-diagonals|.
  for (let i = 0; i < 2 * n; i++) {
    const left = i > 0 ? Math.sqrt(b2[i - 1]!) : 0;
    const right = i < 2 * n - 1 ? Math.sqrt(b2[i]!) : 0;
    bound = Math.max(bound, left + right);
  }
  if (bound === 0) return out; // the zero matrix
  if (!Number.isFinite(bound)) return out.fill(Number.NaN);
  const hiStart = bound * (1 + 4 * Number.EPSILON);
  let maxB2 = 0;
  for (let i = 0; i < b2.length; i++) maxB2 = Math.max(maxB2, b2[i]!);
  // The smallest normal number times max b^2 keeps every b^2 / pivot finite (as dstebz).
  const pivmin = 2.2250738585072014e-308 * Math.max(1, maxB2);
  // Bisection runs to adjacent doubles, or to 1e-280 ||B|| for values that are zero. Clusters
  // share their bisection steps, so even many zeros (ReLU Jacobians) cost ~930 steps in all.
  const absTol = bound * 1e-280;

  // Stack of intervals (lo, hi] with cLo = #{sigma <= lo} and cHi = #{sigma <= hi}: they
  // hold the singular values of ascending indices cLo..cHi-1 (the first lo = 0 stands for a
  // point just below 0, so zeros belong to it and end in the absTol branch as exact 0).
  const stack: Interval[] = [{ lo: 0, hi: hiStart, cLo: 0, cHi: n }];
  const batch: Interval[] = [];
  const mids = new Float64Array(BATCH);
  const counts = new Int32Array(BATCH);
  while (stack.length > 0) {
    batch.length = 0;
    while (stack.length > 0 && batch.length < BATCH) {
      const iv = stack.pop()!;
      const mid = 0.5 * (iv.lo + iv.hi);
      if (iv.hi - iv.lo <= absTol) {
        // Indistinguishable from zero next to ||B||.
        for (let k = iv.cLo; k < iv.cHi; k++) out[n - 1 - k] = iv.lo === 0 ? 0 : mid;
      } else if (mid <= iv.lo || mid >= iv.hi) {
        // lo and hi are adjacent doubles and sigma lies in (lo, hi]: a pivot of exactly 0
        // (x an eigenvalue) is counted as negative, so the count at x is #{sigma <= x}.
        for (let k = iv.cLo; k < iv.cHi; k++) out[n - 1 - k] = iv.hi;
      } else {
        mids[batch.length] = mid;
        batch.push(iv);
      }
    }
    sturmCounts(b2, mids, batch.length, pivmin, counts);
    batch.forEach((iv, t) => {
      const mid = mids[t]!;
      // Rounding can make counts slightly non-monotone; clamp them into the interval's.
      const c = Math.min(iv.cHi, Math.max(iv.cLo, counts[t]! - n));
      if (c > iv.cLo) stack.push({ lo: iv.lo, hi: mid, cLo: iv.cLo, cHi: c });
      if (iv.cHi > c) stack.push({ lo: mid, hi: iv.hi, cLo: c, cHi: iv.cHi });
    });
  }
  return out;
}

interface Interval {
  lo: number;
  hi: number;
  cLo: number;
  cHi: number;
}

/** Shifts counted together: independent recurrences interleave and hide division latency. */
const BATCH = 8;

/**
 * counts[t] = number of eigenvalues of the zero-diagonal tridiagonal T (squared
 * off-diagonals b2) at most xs[t], for t < len: the negative pivots of the LDL^T
 * factorization of T - x I (a pivot of ~0 is nudged to -pivmin, as in LAPACK's dstebz).
 */
function sturmCounts(
  b2: Float64Array,
  xs: Float64Array,
  len: number,
  pivmin: number,
  counts: Int32Array,
): void {
  const q = new Float64Array(len);
  for (let t = 0; t < len; t++) {
    let p = -xs[t]!;
    if (Math.abs(p) < pivmin) p = -pivmin;
    q[t] = p;
    counts[t] = p < 0 ? 1 : 0;
  }
  for (let i = 0; i < b2.length; i++) {
    const b = b2[i]!;
    for (let t = 0; t < len; t++) {
      let p = -xs[t]! - b / q[t]!;
      if (Math.abs(p) < pivmin) p = -pivmin;
      q[t] = p;
      if (p < 0) counts[t] = counts[t]! + 1;
    }
  }
}
