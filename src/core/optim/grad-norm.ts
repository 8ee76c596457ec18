import { sumSquares } from "../kernels/elementwise.ts";
import type { Param } from "../layers/layer.ts";

/** Below this, a plain sum of squares may have lost underflowed terms: rescale instead. */
const TINY_SUM = 1e-200;

/**
 * Euclidean norm of the gradients of params[from..to) taken together, in float64, safe from
 * overflow and underflow: a plain sum of squares is used when it lands in [1e-200, Infinity);
 * otherwise the entries are divided by the largest magnitude first (one more pass), so
 * gradients of 1e-200 or 1e200 still give their true norm.
 * Returns NaN if any entry is NaN, Infinity if any entry is infinite (or, for float64
 * gradients only, if the true norm exceeds the largest double).
 */
export function gradNorm(params: readonly Param[], from = 0, to = params.length): number {
  let sum = 0;
  // Every step takes this pass: the kernels' sum of squares (native or partial sums), which
  // only reorders the float64 additions.
  for (let i = from; i < to; i++) sum += sumSquares(params[i]!.grad.data, params[i]!.grad.size);
  return normFromSumOfSquares(sum, params, from, to);
}

/**
 * gradNorm given the plain float64 sum of squares of params[from..to)'s gradients (computed by
 * the caller, e.g. along with other sums): its square root when that is safe, else the
 * rescaled passes.
 */
export function normFromSumOfSquares(
  sum: number,
  params: readonly Param[],
  from = 0,
  to = params.length,
): number {
  if (sum >= TINY_SUM && sum < Infinity) return Math.sqrt(sum);
  let scale = 0;
  let nan = false;
  for (let i = from; i < to; i++) {
    const g = params[i]!.grad;
    const d = g.data;
    for (let j = 0, n = g.size; j < n; j++) {
      const a = Math.abs(d[j]!);
      if (a > scale) scale = a;
      else if (Number.isNaN(a)) nan = true;
    }
  }
  if (nan) return Number.NaN;
  if (scale === 0 || scale === Infinity) return scale;
  let ssq = 0;
  for (let i = from; i < to; i++) {
    const g = params[i]!.grad;
    const d = g.data;
    for (let j = 0, n = g.size; j < n; j++) {
      const r = d[j]! / scale;
      ssq += r * r;
    }
  }
  return scale * Math.sqrt(ssq);
}
