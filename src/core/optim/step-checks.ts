import type { Param } from "../layers/layer.ts";

/**
 * Throws unless `lr` is a finite number >= 0, `updateStd` can hold one value per param and
 * `weightSums` two.
 */
export function checkStepArgs(
  params: readonly Param[],
  lr: number,
  updateStd: Float64Array | undefined,
  weightSums?: Float64Array,
): void {
  if (weightSums !== undefined && weightSums.length < 2 * params.length) {
    throw new RangeError(
      `weightSums holds ${weightSums.length} values but there are ${params.length} parameters`,
    );
  }
  if (!(lr >= 0 && lr < Infinity)) {
    throw new RangeError(`learning rate must be finite and >= 0, got ${lr}`);
  }
  if (updateStd !== undefined && updateStd.length < params.length) {
    throw new RangeError(
      `updateStd holds ${updateStd.length} values but there are ${params.length} parameters`,
    );
  }
}

/**
 * Population standard deviation of n values from sums of their shifted values e = x - K:
 * s1 = sum e, s2 = sum e^2 (the shift K, e.g. the first value, avoids cancellation).
 */
export function shiftedStd(s1: number, s2: number, n: number): number {
  if (n === 0) return 0;
  const v = (s2 - (s1 * s1) / n) / n;
  if (Number.isNaN(v)) return Number.NaN;
  return v > 0 ? Math.sqrt(v) : 0;
}

/** Throws unless `value` is finite and within [lo, hi) (or [lo, hi] when `closed`). */
export function checkHyper(name: string, value: number, lo: number, hi: number, closed = false) {
  const ok = value >= lo && (closed ? value <= hi : value < hi) && Number.isFinite(value);
  if (!ok) {
    throw new RangeError(`${name} must be in [${lo}, ${hi}${closed ? "]" : ")"}, got ${value}`);
  }
}
