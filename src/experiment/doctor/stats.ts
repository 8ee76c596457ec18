/**
 * The few statistics `doctor` needs to judge runs repeated over seeds: the spread of a measure
 * and whether paired differences clear a margin and the seed noise. Pure numbers in and out.
 */

/** Mean, sample standard deviation, extremes and count of a measure over seeds. */
export interface Spread {
  mean: number;
  /** Sample standard deviation (n - 1 in the denominator); 0 for a single value. */
  sd: number;
  min: number;
  max: number;
  n: number;
}

export function spreadOf(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN, min: Number.NaN, max: Number.NaN, n };
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  // with infinite values the mean is +-Infinity (or NaN) and the deviation is meaningless
  return { mean, sd: Number.isFinite(mean) ? sd : Number.NaN, min, max, n };
}

/**
 * How many standard errors of the paired differences a mean difference must exceed to count
 * as more than seed noise. With K seeds the mean over K paired differences divided by its
 * standard error is a t statistic with K - 1 degrees of freedom: 2 standard errors is a
 * one-sided level of about 10% at K = 3 (t(2) = 1.89 at 90%, 2.92 at 95%) and 5% from K = 6
 * on. The margin (7 accuracy points, 2% of the loss) does the rest of the work: a gain must
 * also be large enough to matter.
 */
export const NOISE_STANDARD_ERRORS = 2;

/** NOISE_STANDARD_ERRORS standard errors of the mean of `diffs` (0 for a single value). */
export function noiseOf(diffs: readonly number[]): number {
  const s = spreadOf(diffs);
  return s.n > 1 ? (NOISE_STANDARD_ERRORS * s.sd) / Math.sqrt(s.n) : 0;
}

/**
 * Whether paired differences (one per seed, "this minus that") are clearly positive: their
 * mean exceeds both `margin` and the seed noise (NOISE_STANDARD_ERRORS standard errors of the
 * mean). Non-finite differences (a run that blew up) never clear: the caller decides what a
 * broken run means. With one seed there is no noise estimate and only the margin applies.
 */
export function clears(diffs: readonly number[], margin: number): boolean {
  if (diffs.length === 0 || diffs.some((d) => !Number.isFinite(d))) return false;
  const mean = spreadOf(diffs).mean;
  return mean > margin && mean > noiseOf(diffs);
}

/** +1: clearly positive, -1: clearly negative, 0: within the margin or the noise. */
export function direction(diffs: readonly number[], margin: number): -1 | 0 | 1 {
  if (clears(diffs, margin)) return 1;
  if (
    clears(
      diffs.map((d) => -d),
      margin,
    )
  )
    return -1;
  return 0;
}
