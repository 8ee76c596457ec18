import type { FloatArray } from "../core/dtype.ts";

/** Mean of x^2 over the first n entries, accumulated in float64. */
export function meanSquare(x: FloatArray, n: number = x.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    s += v * v;
  }
  return n === 0 ? 0 : s / n;
}

/**
 * L2 (Frobenius) norm. The plain sum of squares is exact enough whenever it neither
 * overflows nor drops into the range where squares underflow; only then is the slower
 * max-scaled sum used, so a vanishing gradient of 1e-200 still has norm 1e-200, not 0.
 */
export function l2Norm(x: FloatArray, n: number = x.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    s += v * v;
  }
  if (s > 1e-280 && s < 1e300) return Math.sqrt(s);
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[i]!);
    if (v > scale || Number.isNaN(v)) scale = v;
  }
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  // Divide rather than multiply by 1/scale: for a subnormal scale, 1/scale overflows.
  let t = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]! / scale;
    t += v * v;
  }
  return scale * Math.sqrt(t);
}

/**
 * Population mean and standard deviation (two-pass, float64), rescaled by the largest
 * magnitude when the squared deviations would overflow or underflow.
 */
export function meanStd(x: FloatArray, n: number = x.length): { mean: number; std: number } {
  if (n === 0) return { mean: 0, std: 0 };
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  const mean = s / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    ss += d * d;
  }
  if ((ss > 1e-280 && ss < 1e300) || Number.isNaN(ss)) {
    return { mean, std: Math.sqrt(ss / n) };
  }
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(x[i]! - mean));
  if (scale === 0 || !Number.isFinite(scale)) return { mean, std: scale };
  let t = 0;
  for (let i = 0; i < n; i++) {
    const d = (x[i]! - mean) / scale;
    t += d * d;
  }
  return { mean, std: scale * Math.sqrt(t / n) };
}

/** Number of NaN or infinite entries. */
export function countNonFinite(x: FloatArray, n: number = x.length): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]!)) c++;
  return c;
}

/** Number of nonzero entries smaller in magnitude than `minNormal` (subnormal numbers). */
export function countSubnormal(x: FloatArray, minNormal: number, n: number = x.length): number {
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[i]!);
    if (v !== 0 && v < minNormal) c++;
  }
  return c;
}

/** One pass over a tensor: everything the probe table needs from it. */
export interface TensorSummary {
  mean: number;
  std: number;
  norm: number;
  meanSquare: number;
  nonfinite: number;
  subnormal: number;
}

/**
 * Mean, population std, L2 norm, mean square and the NaN/Inf and subnormal counts in one
 * read of the data (the hot part of recording metrics every step). Falls back to the
 * two-pass variance when the one-pass formula would cancel (|mean| large next to std), and
 * to the scaled norm when squares overflow or underflow.
 */
export function summarizeTensor(
  x: FloatArray,
  minNormal: number,
  n: number = x.length,
): TensorSummary {
  let sum = 0;
  let sumSq = 0;
  let nonfinite = 0;
  let subnormal = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    sum += v;
    sumSq += v * v;
    const a = Math.abs(v);
    if (a < minNormal) {
      if (a !== 0) subnormal++;
    } else if (!(a < Number.POSITIVE_INFINITY)) nonfinite++;
  }
  if (n === 0) return { mean: 0, std: 0, norm: 0, meanSquare: 0, nonfinite: 0, subnormal: 0 };
  const safe = sumSq > 1e-280 && sumSq < 1e300;
  let mean = sum / n;
  let std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  if (!safe || mean * mean > 0.5 * (sumSq / n)) ({ mean, std } = meanStd(x, n));
  const norm = safe ? Math.sqrt(sumSq) : l2Norm(x, n);
  return {
    mean,
    std,
    norm,
    meanSquare: safe ? sumSq / n : (norm * norm) / n,
    nonfinite,
    subnormal,
  };
}
