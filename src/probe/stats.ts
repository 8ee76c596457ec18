import type { FloatArray } from "../core/dtype.ts";
import { sumSquares } from "../core/kernels/elementwise.ts";
import { momentsFast } from "../core/kernels/reductions.ts";

/** Results of a KernelProvider's `moments` (sum, sum of squares, min |x|), reused. */
const moments = new Float64Array(3);

/** True when a KernelProvider or the wasm reductions (kernels/reductions.ts) filled `moments`. */
function providerMoments(x: FloatArray, n: number): boolean {
  return momentsFast(x, n, moments);
}

/**
 * out = [sum x, sum x^2, a lower bound of the smallest nonzero |x|] of x[0..n), in float64, as
 * summarizeTensor reads them (a KernelProvider's when registered), for callers that take this
 * pass anyway and hand the result to summarizeTensor later (the trainer's gradient norm).
 */
export function tensorMoments(x: FloatArray, n: number, out: Float64Array): void {
  if (!momentsFast(x, n, out)) momentsTs(x, n, out);
}

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
  // The fast sum (a KernelProvider's or partial sums, kernels/elementwise.ts) is trusted only
  // inside the safe range; NaN, Inf, overflow and underflow all fail the test and rescale.
  const s = sumSquares(x, n);
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

/** Float64 sum and sum of squares of x[0..n) (no overflow guard), in one read. */
export function sumAndSquares(x: FloatArray, n: number = x.length): { sum: number; sumSq: number } {
  if (providerMoments(x, n)) return { sum: moments[0]!, sumSq: moments[1]! };
  // Two partial sums each: independent add chains, about twice as fast as one chain.
  let s0 = 0;
  let s1 = 0;
  let q0 = 0;
  let q1 = 0;
  const pairs = n >> 1;
  for (let p = 0; p < pairs; p++) {
    const i = p << 1;
    const v = x[i]!;
    const w = x[i + 1]!;
    s0 += v;
    s1 += w;
    q0 += v * v;
    q1 += w * w;
  }
  if (n & 1) {
    const v = x[n - 1]!;
    s0 += v;
    q0 += v * v;
  }
  return { sum: s0 + s1, sumSq: q0 + q1 };
}

/**
 * Population mean and standard deviation in float64: from one read (sum and sum of squares)
 * when that is as accurate as two passes (mean^2 at most half the mean square, squares in
 * range), else two-pass and rescaled by the largest magnitude when the squared deviations
 * would overflow or underflow.
 */
export function meanStd(x: FloatArray, n: number = x.length): { mean: number; std: number } {
  const { sum, sumSq } = sumAndSquares(x, n);
  return meanStdFromSums(x, n, sum, sumSq);
}

/** meanStd by two passes (mean, then squared deviations), rescaled when they over/underflow. */
export function twoPassMeanStd(x: FloatArray, n: number = x.length): { mean: number; std: number } {
  if (n === 0) return { mean: 0, std: 0 };
  // Two partial sums per pass: independent add chains, about twice as fast as one chain.
  const pairs = n >> 1;
  let s0 = 0;
  let s1 = 0;
  for (let p = 0; p < pairs; p++) {
    const i = p << 1;
    s0 += x[i]!;
    s1 += x[i + 1]!;
  }
  if (n & 1) s0 += x[n - 1]!;
  const mean = (s0 + s1) / n;
  let q0 = 0;
  let q1 = 0;
  for (let p = 0; p < pairs; p++) {
    const i = p << 1;
    const d0 = x[i]! - mean;
    const d1 = x[i + 1]! - mean;
    q0 += d0 * d0;
    q1 += d1 * d1;
  }
  if (n & 1) {
    const d = x[n - 1]! - mean;
    q0 += d * d;
  }
  const ss = q0 + q1;
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

/**
 * Population mean and std of x[0..n) from its float64 sum and sum of squares (the one-pass
 * formula), or from the two-pass `meanStd` when that would cancel (|mean| large next to std)
 * or the squares overflow or underflow (`twoPassMeanStd`). For loops that already read x.
 */
export function meanStdFromSums(
  x: FloatArray,
  n: number,
  sum: number,
  sumSq: number,
): { mean: number; std: number } {
  if (n === 0) return { mean: 0, std: 0 };
  const mean = sum / n;
  if (sumSq > 1e-280 && sumSq < 1e300 && mean * mean <= 0.5 * (sumSq / n)) {
    return { mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)) };
  }
  return twoPassMeanStd(x, n);
}

/** Number of NaN or infinite entries. */
export function countNonFinite(x: FloatArray, n: number = x.length): number {
  let c = 0;
  for (let i = 0; i < n; i++) {
    // x - x is 0 for every finite x and NaN for Inf and NaN: no call per element.
    const v = x[i]!;
    if (v - v !== 0) c++;
  }
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
  known?: Float64Array,
): TensorSummary {
  // No per-element branch: a lower bound of the smallest nonzero |x| and the sum of squares
  // tell whether any entry may be subnormal, Inf or NaN, and only then does a second pass count
  // them. A KernelProvider (the native addon) computes the reductions several times faster
  // than momentsTs, and its bound skips zeros, so ReLU's exact zeros need no second pass.
  // `known`: tensorMoments(x, n) of the data as it is now, already taken by the caller.
  const m = known ?? moments;
  if (known === undefined && !providerMoments(x, n)) momentsTs(x, n, moments);
  const sum = m[0]!;
  const sumSq = m[1]!;
  const minAbs = m[2]!;
  let nonfinite = 0;
  let subnormal = 0;
  // Inf or NaN entries make the sum of squares Inf or NaN.
  if (!(minAbs >= minNormal) || !(sumSq < Number.POSITIVE_INFINITY)) {
    for (let i = 0; i < n; i++) {
      const a = Math.abs(x[i]!);
      if (a < minNormal) {
        if (a !== 0) subnormal++;
      } else if (!(a < Number.POSITIVE_INFINITY)) nonfinite++;
    }
  }
  if (n === 0) return { mean: 0, std: 0, norm: 0, meanSquare: 0, nonfinite: 0, subnormal: 0 };
  const safe = sumSq > 1e-280 && sumSq < 1e300;
  const { mean, std } = meanStdFromSums(x, n, sum, sumSq);
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

/**
 * out = [sum x, sum x^2, min |x|] of x[0..n) in float64: summarizeTensor's TypeScript pass.
 * Two elements per iteration into separate sums (independent add chains run about twice as
 * fast); a NaN makes the min NaN, which fails summarizeTensor's test as it should. The min
 * includes zeros (a lower bound of the smallest nonzero |x|: a branch-free loop, at the cost of
 * a counting pass whenever x holds a zero).
 */
export function momentsTs(x: FloatArray, n: number, out: Float64Array): void {
  let sum0 = 0;
  let sum1 = 0;
  let sq0 = 0;
  let sq1 = 0;
  let min0 = Number.POSITIVE_INFINITY;
  let min1 = Number.POSITIVE_INFINITY;
  const pairs = n >> 1;
  for (let p = 0; p < pairs; p++) {
    const i = p << 1;
    const v = x[i]!;
    const w = x[i + 1]!;
    sum0 += v;
    sum1 += w;
    sq0 += v * v;
    sq1 += w * w;
    min0 = Math.min(min0, Math.abs(v));
    min1 = Math.min(min1, Math.abs(w));
  }
  if (n & 1) {
    const v = x[n - 1]!;
    sum0 += v;
    sq0 += v * v;
    min0 = Math.min(min0, Math.abs(v));
  }
  out[0] = sum0 + sum1;
  out[1] = sq0 + sq1;
  out[2] = Math.min(min0, min1);
}
