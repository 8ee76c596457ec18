/**
 * Gauss quadrature from a three-term recurrence (the Golub-Welsch setting): the nodes of the
 * n-point Gauss rule of a measure are the eigenvalues of its n x n Jacobi matrix, and the
 * weights follow from the orthonormal polynomials at the nodes (Christoffel numbers).
 *
 * Eigenvalues are isolated by Sturm-sequence bisection (each one to a few ulps of the matrix
 * norm, independently of the others), then polished by Newton's method on the recurrence,
 * which gives the small nodes their full relative accuracy. Weights are computed as
 * mu0 / sum_k p_k(x)^2 rather than from eigenvector components, which keeps full relative
 * accuracy even for the tiny weights of the outermost nodes.
 */

/** Nodes (ascending) and weights of a quadrature rule: integral ~ sum_i weights[i] f(nodes[i]). */
export interface QuadratureRule {
  readonly nodes: Float64Array;
  readonly weights: Float64Array;
}

export interface JacobiMatrix {
  /** Diagonal a_0..a_{n-1} (recurrence coefficients alpha_k). */
  readonly diagonal: ArrayLike<number>;
  /** Off-diagonal e_0..e_{n-2}, e_k = sqrt(beta_{k+1}) > 0, between rows k and k+1. */
  readonly offDiagonal: ArrayLike<number>;
  /** Total mass of the measure (the sum of the weights). */
  readonly mass: number;
  /** Measure symmetric about 0: the rule is symmetrized exactly. */
  readonly symmetric?: boolean;
}

const RESCALE_ABOVE = 1e150;
const RESCALE_BY = 1e-150;

/** Number of eigenvalues of the Jacobi matrix strictly below x (Sturm count of T - x I). */
function sturmCount(a: ArrayLike<number>, e: ArrayLike<number>, n: number, x: number): number {
  let count = 0;
  let d = 1;
  for (let k = 0; k < n; k++) {
    const off = k === 0 ? 0 : e[k - 1]!;
    d = a[k]! - x - (k === 0 ? 0 : (off * off) / d);
    if (d === 0) d = -1e-300;
    if (d < 0) count++;
  }
  return count;
}

/**
 * Value of the (unnormalized) degree-n orthogonal polynomial, its derivative, and the sum of
 * squares of the orthonormal p_0..p_{n-1}, all at x; `logScale` is the natural log of the
 * factor the values were divided by to avoid overflow (common to all three, squared for sum).
 */
function evaluate(
  a: ArrayLike<number>,
  e: ArrayLike<number>,
  n: number,
  x: number,
): { p: number; dp: number; sumSq: number; logScale: number } {
  // Orthonormal recurrence: e_k p_{k+1} = (x - a_k) p_k - e_{k-1} p_{k-1}, p_0 = 1.
  let pPrev = 0;
  let p = 1;
  let dPrev = 0;
  let d = 0;
  let sumSq = 1;
  let logScale = 0;
  for (let k = 0; k < n - 1; k++) {
    const offPrev = k === 0 ? 0 : e[k - 1]!;
    const off = e[k]!;
    const pNext = ((x - a[k]!) * p - offPrev * pPrev) / off;
    const dNext = (p + (x - a[k]!) * d - offPrev * dPrev) / off;
    pPrev = p;
    p = pNext;
    dPrev = d;
    d = dNext;
    sumSq += p * p;
    if (Math.abs(p) > RESCALE_ABOVE || Math.abs(d) > RESCALE_ABOVE) {
      p *= RESCALE_BY;
      pPrev *= RESCALE_BY;
      d *= RESCALE_BY;
      dPrev *= RESCALE_BY;
      sumSq *= RESCALE_BY * RESCALE_BY;
      logScale -= Math.log(RESCALE_BY);
    }
  }
  // Last step without the division by e_{n-1}: proportional to p_n, same zeros.
  const offPrev = n >= 2 ? e[n - 2]! : 0;
  const last = a[n - 1]!;
  const pn = (x - last) * p - offPrev * pPrev;
  const dpn = p + (x - last) * d - offPrev * dPrev;
  return { p: pn, dp: dpn, sumSq, logScale };
}

/** The n-point Gauss rule of the measure whose Jacobi matrix is given. */
export function gaussRuleFromJacobi(jacobi: JacobiMatrix): QuadratureRule {
  const a = jacobi.diagonal;
  const e = jacobi.offDiagonal;
  const n = a.length;
  if (n < 1) throw new RangeError("a Gauss rule needs at least one node");
  if (e.length < n - 1) throw new RangeError("off-diagonal too short for the diagonal");

  // Gershgorin interval holding every eigenvalue.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    const r = (k > 0 ? Math.abs(e[k - 1]!) : 0) + (k < n - 1 ? Math.abs(e[k]!) : 0);
    lo = Math.min(lo, a[k]! - r);
    hi = Math.max(hi, a[k]! + r);
  }
  const scale = Math.max(Math.abs(lo), Math.abs(hi), Number.MIN_VALUE);

  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Bisection for the (i+1)-th smallest eigenvalue: count(left) <= i < count(right).
    let left = i === 0 ? lo : Math.max(lo, nodes[i - 1]!);
    let right = hi;
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (left + right);
      if (mid <= left || mid >= right || right - left <= 4 * Number.EPSILON * scale) break;
      if (sturmCount(a, e, n, mid) > i) right = mid;
      else left = mid;
    }
    let x = 0.5 * (left + right);
    // Newton polish, kept inside the bracket found by bisection (widened by a few ulps).
    const slack = 8 * Number.EPSILON * scale;
    for (let it = 0; it < 4; it++) {
      const { p, dp } = evaluate(a, e, n, x);
      if (dp === 0 || !Number.isFinite(p / dp)) break;
      const next = x - p / dp;
      if (next < left - slack || next > right + slack) break;
      if (next === x) break;
      x = next;
    }
    nodes[i] = x;
    const { sumSq, logScale } = evaluate(a, e, n, x);
    weights[i] = jacobi.mass * Math.exp(-Math.log(sumSq) - 2 * logScale);
  }

  if (jacobi.symmetric) {
    for (let i = 0; i < n >> 1; i++) {
      const j = n - 1 - i;
      const x = 0.5 * (nodes[j]! - nodes[i]!);
      const w = 0.5 * (weights[i]! + weights[j]!);
      nodes[i] = -x;
      nodes[j] = x;
      weights[i] = w;
      weights[j] = w;
    }
    if (n % 2 === 1) nodes[n >> 1] = 0;
  }
  return { nodes, weights };
}
