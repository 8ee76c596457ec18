import type { Histogram } from "./values.ts";

/**
 * Per-parameter quantities a histogram determines. TensorBoard histograms carry the count, sum
 * and sum of squares of the entries (TF1 exactly; TF2 estimated from its buckets), so norms and
 * standard deviations follow; nothing about the layer's inputs, outputs or dL/dz does.
 */

/** Frobenius norm: sqrt of the sum of squares. */
export function histogramNorm(h: Histogram): number {
  return Math.sqrt(h.sumSquares);
}

/** Population standard deviation of the entries (NaN for an empty histogram). */
export function histogramStd(h: Histogram): number {
  if (!(h.num > 0)) return Number.NaN;
  const mean = h.sum / h.num;
  return Math.sqrt(Math.max(h.sumSquares / h.num - mean * mean, 0));
}

/** Whether the histogram shows NaN/Inf entries (its min, max, sum or sum of squares is not finite). */
export function histogramNonFinite(h: Histogram): boolean {
  return ![h.min, h.max, h.sum, h.sumSquares].every(Number.isFinite);
}

/** std(dW) / std(W), as gradToWeight is defined (docs/METRICS.md). */
export function gradToWeight(grad: Histogram, value: Histogram): number {
  const g = histogramStd(grad);
  const w = histogramStd(value);
  if (Number.isNaN(g) || Number.isNaN(w)) return Number.NaN;
  if (w === 0) return g === 0 ? Number.NaN : Number.POSITIVE_INFINITY;
  return g / w;
}

/** A histogram as written to metrics.jsonl. */
export function histogramJson(h: Histogram): Record<string, unknown> {
  return {
    min: h.min,
    max: h.max,
    num: h.num,
    sum: h.sum,
    sumSquares: h.sumSquares,
    limits: h.limits,
    counts: h.counts,
    ...(h.exact ? {} : { estimated: true }),
  };
}
