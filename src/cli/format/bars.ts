const SPARKS = "▁▂▃▄▅▆▇█";

function finiteRange(values: readonly number[]): { lo: number; hi: number } | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return { lo: Math.min(...finite), hi: Math.max(...finite) };
}

/**
 * One character per value on a log10 scale between the smallest and largest positive value;
 * zero (underflow) prints "_" and NaN/Inf prints "!".
 */
export function logSparkline(values: readonly number[]): string {
  const logs = values.map((v) => (v > 0 ? Math.log10(v) : Number.NaN));
  const range = finiteRange(logs);
  return values
    .map((v, i) => {
      if (!Number.isFinite(v)) return "!";
      if (v <= 0 || !range) return "_";
      const span = range.hi - range.lo;
      const t = span > 0 ? (logs[i]! - range.lo) / span : 1;
      return SPARKS[Math.min(SPARKS.length - 1, Math.round(t * (SPARKS.length - 1)))]!;
    })
    .join("");
}

/**
 * A horizontal bar per value whose length is proportional to log10(value) within the
 * decades the values span (at least one decade), so orders of magnitude read at a glance.
 */
export function logBars(values: readonly number[], width = 24): string[] {
  const logs = values.map((v) => (v > 0 && Number.isFinite(v) ? Math.log10(v) : Number.NaN));
  const range = finiteRange(logs);
  return values.map((v, i) => {
    if (Number.isNaN(v) || v === Number.POSITIVE_INFINITY) return "!! non-finite";
    if (v <= 0 || !range) return "(zero)";
    const lo = Math.min(range.lo, range.hi - 1);
    const t = (logs[i]! - lo) / (range.hi - lo);
    return "#".repeat(Math.max(1, Math.round(t * width)));
  });
}
