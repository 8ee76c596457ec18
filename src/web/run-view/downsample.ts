/**
 * Downsampling recorded steps for drawing (DOM-free). A figure is at most about a thousand
 * pixels wide, so 10^5 recorded steps are cut into at most `columns` bins of consecutive
 * steps; lines keep each bin's smallest and largest value (in the order they occurred), so a
 * spike or a dip survives thinning, and heatmap cells keep the bin's largest value.
 */

/** Start indices of at most `columns` bins of consecutive items (plus the end, n). */
export function binStarts(n: number, columns: number): number[] {
  const bins = Math.max(1, Math.min(n, Math.floor(columns)));
  const starts: number[] = [];
  for (let b = 0; b <= bins; b++) starts.push(Math.round((b * n) / bins));
  return [...new Set(starts)];
}

export interface XY {
  x: number;
  y: number;
}

/**
 * The points of a line over steps, thinned to the bins: each bin's minimum and maximum finite
 * value (one point when they coincide), in step order. Values for which `keep` is false
 * (e.g. non-positive on a log axis) are left out.
 */
export function envelope(
  steps: ArrayLike<number>,
  values: ArrayLike<number>,
  starts: readonly number[],
  keep: (v: number) => boolean = Number.isFinite,
): XY[] {
  const out: XY[] = [];
  for (let b = 0; b + 1 < starts.length; b++) {
    let lo = -1;
    let hi = -1;
    for (let i = starts[b]!; i < starts[b + 1]!; i++) {
      const v = values[i]!;
      if (!keep(v)) continue;
      if (lo < 0 || v < values[lo]!) lo = i;
      if (hi < 0 || v > values[hi]!) hi = i;
    }
    if (lo < 0) continue;
    const first = Math.min(lo, hi);
    const last = Math.max(lo, hi);
    out.push({ x: steps[first]!, y: values[first]! });
    if (last !== first) out.push({ x: steps[last]!, y: values[last]! });
  }
  return out;
}

/**
 * One value per bin for a heatmap: NaN when any value in the bin is NaN or infinite (so a
 * blow-up is never thinned away), else the largest value (0 when all are 0). `missing` values
 * (not measured) are skipped; a bin of only those is undefined.
 */
export function binMax(
  values: ArrayLike<number>,
  starts: readonly number[],
  missing: (i: number) => boolean = () => false,
): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (let b = 0; b + 1 < starts.length; b++) {
    let best: number | undefined;
    for (let i = starts[b]!; i < starts[b + 1]!; i++) {
      if (missing(i)) continue;
      const v = values[i]!;
      if (!Number.isFinite(v)) {
        best = Number.NaN;
        break;
      }
      if (best === undefined || v > best) best = v;
    }
    out.push(best);
  }
  return out;
}

/** The mean of each bin's finite values (NaN for a bin with none). */
export function binMean(values: ArrayLike<number>, starts: readonly number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b + 1 < starts.length; b++) {
    let s = 0;
    let n = 0;
    for (let i = starts[b]!; i < starts[b + 1]!; i++) {
      const v = values[i]!;
      if (Number.isFinite(v)) {
        s += v;
        n++;
      }
    }
    out.push(n > 0 ? s / n : Number.NaN);
  }
  return out;
}
