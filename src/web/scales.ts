/**
 * Axes that hold still. A figure whose axis rescales to every run draws the same diagonal
 * at depth 5 and at depth 100; here each log axis covers whole decades, at least
 * `minDecades` of them, and only widens during a visit (until reset), so moving a slider
 * moves the line, not the axis. DOM-free.
 */

/** [lowest, highest] decade exponents covering the positive finite values, or null. */
export function decadeExtent(values: Iterable<number>): [number, number] | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (!(v > 0) || !Number.isFinite(v)) continue;
    const e = Math.log10(v);
    if (e < lo) lo = e;
    if (e > hi) hi = e;
  }
  if (!(lo <= hi)) return null;
  return [Math.floor(lo + 1e-9), Math.max(Math.ceil(hi - 1e-9), Math.floor(lo + 1e-9) + 1)];
}

/** Widen [e0, e1] to at least `minDecades`, evenly about its centre (whole decades). */
export function withMinSpan(ext: readonly [number, number], minDecades: number): [number, number] {
  let [e0, e1] = ext;
  const missing = minDecades - (e1 - e0);
  if (missing > 0) {
    const below = Math.ceil(missing / 2);
    e0 -= below;
    e1 += missing - below;
  }
  return [e0, e1];
}

/** The union of two decade ranges. */
export function unionDecades(
  a: readonly [number, number] | null,
  b: readonly [number, number] | null,
): [number, number] | null {
  if (!a) return b ? [b[0], b[1]] : null;
  if (!b) return [a[0], a[1]];
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

/** A log domain [10^e0, 10^e1] of a decade range. */
export function logDomain(ext: readonly [number, number]): [number, number] {
  // "1e-20", not 10 ** -20 (1.0000000000000001e-20): the tick at the end is a round number.
  return [Number(`1e${ext[0]}`), Number(`1e${ext[1]}`)];
}

/**
 * Log axes remembered per key over one visit: `fit` returns a domain that covers every value
 * any configuration tried so far put on that axis (never narrower than `minDecades`), so
 * axes widen but never jump back; `reset` forgets them (the page's "reset axes").
 */
export class AxisMemory {
  private readonly ranges = new Map<string, [number, number]>();
  /** Incremented by every reset, so a page can tell its axes were forgotten. */
  generation = 0;

  constructor(readonly minDecades = 3) {}

  /** Decade exponents of the axis `key` once it also covers `values`. */
  fitDecades(key: string, values: Iterable<number>): [number, number] {
    const seen = this.ranges.get(key) ?? null;
    const now = decadeExtent(values);
    const merged = unionDecades(seen, now ? withMinSpan(now, this.minDecades) : null) ?? [0, 1];
    const range = withMinSpan(merged, this.minDecades);
    this.ranges.set(key, range);
    return [range[0], range[1]];
  }

  /** The log domain of the axis `key` once it also covers `values`. */
  fit(key: string, values: Iterable<number>): [number, number] {
    return logDomain(this.fitDecades(key, values));
  }

  /** The remembered range of `key` (null before any value). */
  peek(key: string): [number, number] | null {
    const r = this.ranges.get(key);
    return r ? [r[0], r[1]] : null;
  }

  reset(): void {
    this.ranges.clear();
    this.generation++;
  }
}

/** The largest finite value (for a linear axis that only widens), or `fallback`. */
export function finiteMax(values: Iterable<number>, fallback: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of values) if (Number.isFinite(v) && v > m) m = v;
  return m > Number.NEGATIVE_INFINITY ? m : fallback;
}
