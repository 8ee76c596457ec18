/**
 * Golub-Kahan bidiagonalization by Householder reflections, values only:
 *   Q^T A P = B,  B upper bidiagonal with diagonal d[0..n) and superdiagonal e[0..n-1).
 * A is [m, n] row-major with m >= n and is overwritten. Orthogonal transformations change
 * no singular value, and the reduction is backward stable: B's singular values are those
 * of A + E with ||E|| ~ eps ||A||. The cost is about (8/3) n^3 flops for a square matrix.
 *
 * Speed: step k applies the left reflection k, the right reflection k and accumulates the
 * product x^T A that the next left reflection needs, all in one pass over each trailing
 * row while it sits in cache (the textbook order takes three passes over the matrix).
 */
export function bidiagonalize(
  A: Float64Array,
  m: number,
  n: number,
): { d: Float64Array; e: Float64Array } {
  if (m < n) throw new RangeError(`bidiagonalize needs rows >= cols, got ${m}x${n}`);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(0, n - 1));
  if (n === 0) return { d, e };
  const v = new Float64Array(m); // left Householder vector, entries k..m-1
  const u = new Float64Array(n); // right Householder vector, entries k+1..n-1
  const w = new Float64Array(n); // v^T A[k:m, k+1:n] for the pending left reflection
  const acc = new Float64Array(n); // x^T A for the next one, x = column k+1 being formed

  // The first left reflection forms its v^T A in a pass of its own.
  for (let i = 0; i < m; i++) v[i] = A[i * n]!;
  let left = reflector(v, 0, m);
  d[0] = left.alpha;
  for (let i = 0; i < m; i++) {
    const vi = v[i]!;
    const row = i * n;
    if (vi !== 0) for (let j = 1; j < n; j++) w[j] = w[j]! + vi * A[row + j]!;
  }

  for (let k = 0; k < n - 1; k++) {
    // Here left reflection k (v, tauL, w) is known and d[k] is set.
    const tauL = left.tau;
    const rowK = k * n;
    if (tauL !== 0) {
      const f = tauL * v[k]!;
      for (let j = k + 1; j < n; j++) A[rowK + j] = A[rowK + j]! - f * w[j]!;
    }
    for (let j = k + 1; j < n; j++) u[j] = A[rowK + j]!;
    const right = reflector(u, k + 1, n);
    e[k] = right.alpha;
    const tauR = right.tau;
    acc.fill(0, k + 2, n);
    for (let i = k + 1; i < m; i++) {
      const row = i * n;
      const f = tauL * v[i]!;
      // Left reflection on row i, and its dot product with u for the right reflection.
      // Two partial sums break the add-latency chain of a single accumulator.
      let s0 = 0;
      let s1 = 0;
      let j = k + 1;
      for (; j + 1 < n; j += 2) {
        const a0 = A[row + j]! - f * w[j]!;
        const a1 = A[row + j + 1]! - f * w[j + 1]!;
        A[row + j] = a0;
        A[row + j + 1] = a1;
        s0 += a0 * u[j]!;
        s1 += a1 * u[j + 1]!;
      }
      if (j < n) {
        const a = A[row + j]! - f * w[j]!;
        A[row + j] = a;
        s0 += a * u[j]!;
      }
      const s = s0 + s1;
      // Right reflection on row i; its column k+1 entry becomes x_i of the next column.
      const g = tauR * s;
      const x = A[row + k + 1]! - g * u[k + 1]!;
      A[row + k + 1] = x;
      v[i] = x; // v[i] of reflection k is spent: reuse the slot for reflection k+1
      for (let j = k + 2; j < n; j++) {
        const a = A[row + j]! - g * u[j]!;
        A[row + j] = a;
        acc[j] = acc[j]! + x * a;
      }
    }
    // Next left reflection from column k+1; v differs from x only at k+1 (by -alpha),
    // so v^T A = x^T A - alpha A[k+1, :].
    left = reflector(v, k + 1, m);
    d[k + 1] = left.alpha;
    const rowNext = (k + 1) * n;
    for (let j = k + 2; j < n; j++) w[j] = acc[j]! - left.alpha * A[rowNext + j]!;
  }
  return { d, e };
}

/**
 * Turn x = v[from..to) into the Householder vector of H = I - tau v v^T with H x = alpha e1,
 * in place; alpha takes the sign opposite to x[0] so v[0] = x[0] - alpha never cancels.
 */
function reflector(v: Float64Array, from: number, to: number): { alpha: number; tau: number } {
  const x0 = v[from]!;
  let tail = 0;
  for (let i = from + 1; i < to; i++) tail += v[i]! * v[i]!;
  if (tail === 0) return { alpha: x0, tau: 0 }; // already reduced
  const norm = Math.sqrt(x0 * x0 + tail);
  const alpha = x0 >= 0 ? -norm : norm;
  const v0 = x0 - alpha;
  v[from] = v0;
  // v^T v = -2 alpha v0, so tau = 2 / v^T v = -1 / (alpha v0).
  return { alpha, tau: -1 / (alpha * v0) };
}
