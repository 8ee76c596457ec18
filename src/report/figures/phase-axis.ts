/**
 * The weight-variance axis of the phase diagram, shared by the figure and the lab's grid
 * (src/web/phase-grid.ts) so both switch to a log axis at the same span. DOM-free.
 */

/**
 * Above this hi/lo ratio (1.6 decades) the weight variances are drawn on a log axis. It lies
 * between the lab's power-of-two grids: 0.25..8 (ratio 32) stays linear, 0.25..16 (64) is log.
 */
export const LOG_AXIS_RATIO = 10 ** 1.6;

/** Whether weight variances from lo to hi get a log axis: a sigmoid's critical line near 16
 *  or beyond would otherwise squeeze everything of interest against the left edge. */
export function usesLogAxis(lo: number, hi: number): boolean {
  return lo > 0 && Number.isFinite(hi) && hi / lo > LOG_AXIS_RATIO;
}

/** Geometric cell edges around sorted positive centres: the cells are even on a log axis. */
export function logCellEdges(xs: readonly number[]): number[] {
  const n = xs.length;
  if (n === 0) return [];
  if (n === 1) return [xs[0]! / Math.SQRT2, xs[0]! * Math.SQRT2];
  const edges = [xs[0]! * Math.sqrt(xs[0]! / xs[1]!)];
  for (let i = 0; i + 1 < n; i++) edges.push(Math.sqrt(xs[i]! * xs[i + 1]!));
  edges.push(xs[n - 1]! * Math.sqrt(xs[n - 1]! / xs[n - 2]!));
  return edges;
}

/**
 * Ticks of a log axis over [lo, hi] with plain labels ("0.5", "2", "100"): 1, 2 and 5 times
 * the powers of ten up to 3.5 decades, the powers of ten alone beyond.
 */
export function logTicks(lo: number, hi: number): number[] {
  if (!(lo > 0 && hi > lo)) return [];
  const e0 = Math.floor(Math.log10(lo));
  const e1 = Math.ceil(Math.log10(hi));
  const mantissas = Math.log10(hi / lo) <= 3.5 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}
