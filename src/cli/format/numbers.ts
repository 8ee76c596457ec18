/** Compact human formatting of a metric: 3 significant digits, exponent when far from 1. */
export function formatMetric(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Inf" : "-Inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return v.toPrecision(3);
}

/** A fraction as a percentage with one decimal, e.g. 0.1234 -> "12.3%". */
export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}
