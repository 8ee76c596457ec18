import { clean, niceStep } from "./format.ts";

/** Quantized colour scales: thresholds and the bin of a value (pure). */

/**
 * Thresholds at multiples of a nice step strictly inside (lo, hi), giving at most `maxBins`
 * bins (the colour of a value v is colors[binIndex(v, thresholds)]).
 */
export function niceThresholds(lo: number, hi: number, maxBins = 10): number[] {
  if (!(hi > lo)) return [];
  let step = niceStep((hi - lo) / maxBins);
  for (;;) {
    const t: number[] = [];
    for (let k = Math.floor(lo / step) + 1; k * step < hi - step * 1e-9; k++)
      t.push(clean(k * step));
    if (t.length + 1 <= maxBins) return t;
    step = niceStep(step * 1.01);
  }
}

/** Bin of `value` for ascending thresholds: 0 below thresholds[0], n at or above the last. */
export function binIndex(value: number, thresholds: readonly number[]): number {
  let i = 0;
  while (i < thresholds.length && value >= thresholds[i]!) i++;
  return i;
}
