/** Binning for the histogram figures (pure). */

export interface Histogram {
  /** Bin edges, length bins + 1, ascending. */
  edges: number[];
  /** Count per bin; values on the last edge go in the last bin. */
  counts: number[];
  /** Finite values inside the edges. */
  inside: number;
  /** Finite values outside the edges (e.g. <= 0 for log bins). */
  outside: number;
  /** NaN and infinite values. */
  nonfinite: number;
}

/** Smallest and largest finite value over several arrays (positive values only if asked). */
export function finiteExtent(
  arrays: readonly ArrayLike<number>[],
  positiveOnly = false,
): [number, number] | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || (positiveOnly && !(v > 0))) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** `bins` equal bins over [lo, hi] (widened by 0.5 each side when lo = hi). */
export function linearEdges(lo: number, hi: number, bins: number): number[] {
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  return Array.from({ length: bins + 1 }, (_, i) =>
    i === bins ? hi : lo + ((hi - lo) * i) / bins,
  );
}

/** `bins` bins equal in log10 over [lo, hi], lo > 0. */
export function logEdges(lo: number, hi: number, bins: number): number[] {
  const a = Math.log10(lo);
  const b = hi > lo ? Math.log10(hi) : a + 1;
  const top = hi > lo ? hi : 10 ** b;
  // The ends are lo and hi themselves: 10 ** log10(lo) can come back a rounding above lo,
  // which would put the smallest value outside the histogram.
  return Array.from({ length: bins + 1 }, (_, i) =>
    i === 0 ? lo : i === bins ? top : 10 ** (a + ((b - a) * i) / bins),
  );
}

/** Count values into the bins given by ascending `edges`. */
export function histogram(values: ArrayLike<number>, edges: readonly number[]): Histogram {
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  const lo = edges[0]!;
  const hi = edges[bins]!;
  let inside = 0;
  let outside = 0;
  let nonfinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      nonfinite++;
      continue;
    }
    if (v < lo || v > hi) {
      outside++;
      continue;
    }
    // Binary search for the bin: edges[k] <= v < edges[k + 1].
    let a = 0;
    let b = bins;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (v >= edges[m]!) a = m;
      else b = m;
    }
    counts[a]!++;
    inside++;
  }
  return { edges: [...edges], counts, inside, outside, nonfinite };
}

/** Mean and standard deviation of the finite values. */
export function finiteMeanStd(values: ArrayLike<number>): { mean: number; std: number; n: number } {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      n++;
      sum += v;
    }
  }
  const mean = n > 0 ? sum / n : Number.NaN;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) ss += (v - mean) ** 2;
  }
  return { mean, std: n > 0 ? Math.sqrt(ss / n) : Number.NaN, n };
}

/**
 * Outline of a histogram as a step line: for each bin its two edges at the bin's height,
 * closed down to zero at both ends.
 */
export function stepOutline(
  edges: readonly number[],
  heights: readonly number[],
): { x: number; y: number }[] {
  const points: { x: number; y: number }[] = [{ x: edges[0]!, y: 0 }];
  heights.forEach((h, i) => {
    points.push({ x: edges[i]!, y: h }, { x: edges[i + 1]!, y: h });
  });
  points.push({ x: edges[edges.length - 1]!, y: 0 });
  return points;
}
