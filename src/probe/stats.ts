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

/** L2 (Frobenius) norm, scaled to avoid overflow and underflow of the squares. */
export function l2Norm(x: FloatArray, n: number = x.length): number {
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(x[i]!);
    if (v > scale) scale = v;
  }
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]! / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** Population mean and standard deviation (two-pass, float64). */
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
  return { mean, std: Math.sqrt(ss / n) };
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
