import { gaussRuleFromJacobi, type QuadratureRule } from "./jacobi.ts";

const cache = new Map<number, QuadratureRule>();

/**
 * n-point Gauss-Legendre rule on [-1, 1] (weight 1, weights sum to 2), from the Legendre
 * recurrence: alpha_k = 0, beta_k = k^2 / (4k^2 - 1). Cached per order.
 */
export function gaussLegendre(order: number): QuadratureRule {
  checkOrder(order);
  const hit = cache.get(order);
  if (hit) return hit;
  const diagonal = new Float64Array(order);
  const offDiagonal = new Float64Array(Math.max(order - 1, 0));
  for (let k = 1; k < order; k++) offDiagonal[k - 1] = k / Math.sqrt(4 * k * k - 1);
  const rule = gaussRuleFromJacobi({ diagonal, offDiagonal, mass: 2, symmetric: true });
  cache.set(order, rule);
  return rule;
}

export function checkOrder(order: number, max = 4096): void {
  if (!Number.isInteger(order) || order < 1 || order > max) {
    throw new RangeError(`quadrature order must be an integer in [1, ${max}], got ${order}`);
  }
}
