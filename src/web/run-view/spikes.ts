/**
 * Spikes in a series over recorded steps (loss, global gradient norm), and the first
 * non-finite step. DOM-free.
 *
 * The rule: the value at a recorded step is a spike when its magnitude is more than
 * SPIKE_FACTOR (10) times the median magnitude of the SPIKE_WINDOW (50) finite values
 * recorded before it, once at least SPIKE_MIN_HISTORY (5) are known. A median is robust: one
 * earlier spike does not raise the bar for the next, as a mean would. Magnitudes, because a
 * loss such as the probe's random projection can be negative. Non-finite values are not
 * spikes; they are marked apart (firstNonFinite).
 */

export const SPIKE_FACTOR = 10;
export const SPIKE_WINDOW = 50;
export const SPIKE_MIN_HISTORY = 5;

export interface SpikeOptions {
  factor?: number;
  window?: number;
  minHistory?: number;
}

/** Index of the first value >= x in the sorted array. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Indices of the spikes in `values` (see the rule above). O(n · window). */
export function findSpikes(values: ArrayLike<number>, options: SpikeOptions = {}): number[] {
  const factor = options.factor ?? SPIKE_FACTOR;
  const window = options.window ?? SPIKE_WINDOW;
  const minHistory = options.minHistory ?? SPIKE_MIN_HISTORY;
  const recent: number[] = []; // the window's magnitudes in arrival order
  const sorted: number[] = []; // the same, sorted
  const spikes: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const m = Math.abs(v);
    const n = sorted.length;
    if (n >= minHistory) {
      const median = n % 2 === 1 ? sorted[n >> 1]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
      if (m > factor * median) spikes.push(i);
    }
    recent.push(m);
    sorted.splice(lowerBound(sorted, m), 0, m);
    if (recent.length > window) {
      const old = recent.shift()!;
      sorted.splice(lowerBound(sorted, old), 1);
    }
  }
  return spikes;
}

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
