import { type ActivationName, getActivation } from "../../core/activations.ts";

/**
 * The seed's second demonstration: an activation passes gradient only where its derivative
 * is not small. For each activation: value and derivative over a grid, the maximum
 * derivative, and the "healthy region" where phi'(x) >= fraction * max phi' (fraction 0.01,
 * the same threshold as the probes' `saturated` / `lowDerivative` metrics, signed as there).
 */

export interface ActivationPoint {
  x: number;
  value: number;
  derivative: number;
}

/** An interval of inputs; null marks an end that is unbounded (-Infinity or +Infinity). */
export interface HealthyRegion {
  lo: number | null;
  hi: number | null;
}

export interface ActivationTable {
  name: ActivationName;
  /** Negative slope (leaky-relu; 0 otherwise). */
  slope: number;
  maxDerivative: number;
  /** The fraction of maxDerivative that counts as healthy. */
  fraction: number;
  /** fraction * maxDerivative. */
  threshold: number;
  /** The interval around the derivative's peak where phi' >= threshold (ends to 1e-10). */
  healthyRegion: HealthyRegion;
  /**
   * Bounded activations only (sigmoid, tanh): inputs whose output stays more than 1% of the
   * output range away from both bounds, the classic "not saturated" band (sigmoid:
   * |x| < ln 99 = 4.595, where phi' is still about 4% of its maximum; tanh: |x| < atanh 0.98).
   * null for unbounded activations.
   */
  unsaturatedOutput: HealthyRegion | null;
  points: ActivationPoint[];
}

export interface ActivationTableOptions {
  from?: number;
  to?: number;
  step?: number;
  /** Negative slope of leaky-relu. */
  slope?: number;
  /** Healthy means phi' >= fraction * max phi'. Default 0.01. */
  fraction?: number;
}

export const DEFAULT_TABLE_RANGE = { from: -8, to: 8, step: 0.5 } as const;
export const DEFAULT_HEALTHY_FRACTION = 0.01;
/** Most grid points one table may hold. */
export const MAX_TABLE_POINTS = 100_001;

/** Grid spacing of the outward scan for the region's ends, and how far it looks. */
const SCAN_STEP = 0.01;
const SCAN_LIMIT = 100;
const BISECTION_TOLERANCE = 1e-10;

export function activationTable(
  name: ActivationName,
  options: ActivationTableOptions = {},
): ActivationTable {
  const {
    from = DEFAULT_TABLE_RANGE.from,
    to = DEFAULT_TABLE_RANGE.to,
    step = DEFAULT_TABLE_RANGE.step,
    fraction = DEFAULT_HEALTHY_FRACTION,
  } = options;
  if (!Number.isFinite(from) || !Number.isFinite(to) || !(from <= to)) {
    throw new RangeError(`the range needs finite from <= to, got ${from}..${to}`);
  }
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`step must be > 0, got ${step}`);
  if (!(fraction > 0 && fraction < 1)) {
    throw new RangeError(`fraction must lie in (0, 1), got ${fraction}`);
  }
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  if (count > MAX_TABLE_POINTS) {
    throw new RangeError(`${count} points is too many (at most ${MAX_TABLE_POINTS}): raise step`);
  }
  const act = getActivation(name, options.slope === undefined ? {} : { slope: options.slope });
  const threshold = fraction * act.maxDerivative;
  const points: ActivationPoint[] = [];
  for (let i = 0; i < count; i++) {
    // 12 significant digits keep grid points at the decimals they print as (-7.7, not
    // -7.699999999999999) without moving them measurably.
    const x = Number((from + i * step).toPrecision(12));
    points.push({ x, value: act.value(x), derivative: act.derivative(x) });
  }
  const healthyRegion = act.piecewiseLinear
    ? kinkRegion(act.derivative, threshold)
    : smoothRegion(act.derivative, threshold);
  return {
    name,
    slope: act.slope,
    maxDerivative: act.maxDerivative,
    fraction,
    threshold,
    healthyRegion,
    unsaturatedOutput: unsaturatedOutputRegion(name),
    points,
  };
}

/** Closed forms of the 1%-of-range output band for the bounded activations. */
function unsaturatedOutputRegion(name: ActivationName): HealthyRegion | null {
  if (name === "sigmoid") return { lo: -Math.log(99), hi: Math.log(99) };
  if (name === "tanh") return { lo: -Math.atanh(0.98), hi: Math.atanh(0.98) };
  return null;
}

/** identity, relu, leaky-relu: phi' is constant on each side of the kink at 0. */
function kinkRegion(derivative: (x: number) => number, threshold: number): HealthyRegion {
  const leftOk = derivative(-1) >= threshold;
  const rightOk = derivative(1) >= threshold;
  return { lo: leftOk ? null : 0, hi: rightOk ? null : 0 };
}

/**
 * Smooth activations: start at the grid point of largest phi', scan outward on each side
 * until phi' drops below the threshold, then bisect the crossing to 1e-10. A side that stays
 * healthy out to |x| = 100 and far beyond (phi' tends to a healthy limit) is unbounded.
 */
function smoothRegion(derivative: (x: number) => number, threshold: number): HealthyRegion {
  let peak = 0;
  let best = Number.NEGATIVE_INFINITY;
  for (let x = -SCAN_LIMIT; x <= SCAN_LIMIT; x += SCAN_STEP) {
    const v = derivative(x);
    if (v > best) {
      best = v;
      peak = x;
    }
  }
  const end = (direction: 1 | -1): number | null => {
    let good = peak;
    for (let i = 1; i <= (2 * SCAN_LIMIT) / SCAN_STEP; i++) {
      const x = peak + direction * i * SCAN_STEP;
      if (derivative(x) < threshold) return bisect(derivative, threshold, good, x);
      good = x;
    }
    // Healthy out to the scan limit: confirm that phi' does not fade further out.
    const far = [1e3, 1e6].map((r) => derivative(direction * r));
    if (far.every((v) => v >= threshold)) return null;
    return bisect(derivative, threshold, good, direction * 1e6);
  };
  return { lo: end(-1), hi: end(1) };
}

/** The crossing between a healthy x `good` and an unhealthy x `bad`, to 1e-10. */
function bisect(
  derivative: (x: number) => number,
  threshold: number,
  good: number,
  bad: number,
): number {
  let g = good;
  let b = bad;
  while (Math.abs(b - g) > BISECTION_TOLERANCE) {
    const mid = 0.5 * (g + b);
    if (mid === g || mid === b) break;
    if (derivative(mid) >= threshold) g = mid;
    else b = mid;
  }
  return 0.5 * (g + b);
}
