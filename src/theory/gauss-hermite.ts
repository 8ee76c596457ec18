import { halfLineRule, MAX_HALF_LINE_ORDER } from "./half-line.ts";
import { gaussRuleFromJacobi, type QuadratureRule } from "./jacobi.ts";
import { checkOrder } from "./legendre.ts";

/**
 * Gauss-Hermite quadrature and Gaussian expectations E[f(sqrt(v) Z)], Z ~ N(0, 1).
 *
 * Probabilists' rule (weight exp(-x^2/2), weights sum to sqrt(2 pi)): Jacobi matrix with zero
 * diagonal and off-diagonal sqrt(k), k = 1..n-1. Physicists' rule (weight exp(-x^2), weights
 * sum to sqrt(pi)): the same nodes divided by sqrt(2). See jacobi.ts for the eigenvalue and
 * weight computations (accurate to a few ulps, weights to full relative accuracy).
 */

export type HermiteKind = "probabilists" | "physicists";

/** Default number of nodes per half line of the split rule (2x evaluations per expectation). */
export const DEFAULT_ORDER = 64;

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const normalCache = new Map<number, QuadratureRule>();

/** n-point Gauss-Hermite rule for the standard normal: weights sum to 1. Cached per order. */
export function standardNormalRule(order: number): QuadratureRule {
  checkOrder(order);
  const hit = normalCache.get(order);
  if (hit) return hit;
  const diagonal = new Float64Array(order);
  const offDiagonal = new Float64Array(Math.max(order - 1, 0));
  for (let k = 1; k < order; k++) offDiagonal[k - 1] = Math.sqrt(k);
  const rule = gaussRuleFromJacobi({ diagonal, offDiagonal, mass: 1, symmetric: true });
  normalCache.set(order, rule);
  return rule;
}

/**
 * n-point Gauss-Hermite rule: integral of f(x) w(x) over the real line ~ sum_i w_i f(x_i),
 * with w(x) = exp(-x^2/2) ("probabilists", the default) or exp(-x^2) ("physicists").
 */
export function gaussHermite(order: number, kind: HermiteKind = "probabilists"): QuadratureRule {
  const { nodes, weights } = standardNormalRule(order);
  if (kind === "probabilists") {
    return { nodes: nodes.map((x) => x), weights: weights.map((w) => w * SQRT_2PI) };
  }
  const sqrtPi = Math.sqrt(Math.PI);
  return { nodes: nodes.map((x) => x * Math.SQRT1_2), weights: weights.map((w) => w * sqrtPi) };
}

/**
 * "split" (default): integrate each half line with the n-point Gauss rule of the half-normal
 * weight (2n evaluations): exact for piecewise polynomials of degree < 2n with a kink at 0,
 * exponentially convergent for functions analytic on each closed half line.
 * "hermite": plain n-point Gauss-Hermite over the whole line (n evaluations): best for entire
 * functions, but only algebraically convergent (~n^{-3/2}) across a kink.
 */
export type ExpectationMethod = "split" | "hermite";

export interface ExpectationOptions {
  /** Nodes per half line (split, at most 200) or in total (hermite). Default 64. */
  order?: number;
  method?: ExpectationMethod;
}

/** E[f(sqrt(variance) Z)] for Z ~ N(0, 1), by Gaussian quadrature. */
export function gaussianExpectation(
  f: (x: number) => number,
  variance: number,
  options: ExpectationOptions | number = {},
): number {
  const { order = DEFAULT_ORDER, method = "split" } =
    typeof options === "number" ? { order: options } : options;
  if (!(variance >= 0) || !Number.isFinite(variance)) {
    throw new RangeError(`variance must be finite and >= 0, got ${variance}`);
  }
  if (variance === 0) return f(0);
  const s = Math.sqrt(variance);
  if (method === "hermite") {
    const { nodes, weights } = standardNormalRule(order);
    let sum = 0;
    for (let i = 0; i < nodes.length; i++) sum += weights[i]! * f(s * nodes[i]!);
    return sum;
  }
  checkOrder(order, MAX_HALF_LINE_ORDER);
  const { nodes, weights } = halfLineRule("half-normal", order);
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) {
    const x = s * nodes[i]!;
    sum += weights[i]! * (f(x) + f(-x));
  }
  return sum;
}
