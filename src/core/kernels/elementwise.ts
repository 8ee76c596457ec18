import type { FloatArray } from "../dtype.ts";
import { kernelProvider } from "./provider.ts";

/**
 * The element-wise kernels of a training step. Each asks the registered KernelProvider first
 * (provider.ts: it may decline by returning false / null, before writing anything) and
 * otherwise runs its TypeScript loop. The loops compute exactly what the layers computed
 * inline before (same order, same roundings), except `sumSquares`, whose partial sums change
 * the float64 summation order (round-off only).
 */

/** z[r * cols + j] += b[j] for r < rows, j < cols. */
export function addRowBias(z: FloatArray, b: FloatArray, rows: number, cols: number): void {
  if (kernelProvider()?.addRowBias?.(z, b, rows, cols) === true) return;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) z[o + j] = z[o + j]! + b[j]!;
  }
}

/** out[j] = sum over r < rows of x[r * cols + j], accumulated row by row in out's dtype. */
export function columnSums(x: FloatArray, rows: number, cols: number, out: FloatArray): void {
  if (kernelProvider()?.columnSums?.(x, rows, cols, out) === true) return;
  out.fill(0, 0, cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) out[j] = out[j]! + x[o + j]!;
  }
}

/**
 * Sum of x[i]^2 for i < n in float64 (not guarded against overflow or underflow: l2Norm in
 * probe/stats.ts does that). Four partial sums: independent add chains run about twice as fast
 * as one, and the sum is as accurate.
 */
export function sumSquares(x: FloatArray, n: number = x.length): number {
  // The dispatch is kept tiny so that V8 inlines it into its callers, and the sum comes back
  // through an array: a double returned from (or passed to) a call that is not inlined is a
  // heap allocation, and a training step makes one call per parameter.
  if (kernelProvider()?.sumSquares?.(x, n, sumBox) !== true) sumSquaresTs(x, n, sumBox);
  return sumBox[0]!;
}

/** Where sumSquares' kernels write their result. */
const sumBox = new Float64Array(1);

function sumSquaresTs(x: FloatArray, n: number, out: Float64Array): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const quads = n >> 2;
  for (let q = 0; q < quads; q++) {
    const i = q << 2;
    const a = x[i]!;
    const b = x[i + 1]!;
    const c = x[i + 2]!;
    const d = x[i + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (let i = quads << 2; i < n; i++) {
    const v = x[i]!;
    s0 += v * v;
  }
  out[0] = s0 + s1 + (s2 + s3);
}

/** y[i] += alpha * x[i] for i < n, computed in float64 and rounded once into y's dtype. */
export function axpy(alpha: number, x: FloatArray, y: FloatArray, n: number): void {
  // Tiny, so it is inlined (see sumSquares): `alpha` then reaches the kernel unboxed.
  if (kernelProvider()?.axpy?.(alpha, x, y, n) !== true) axpyTs(alpha, x, y, n);
}

function axpyTs(alpha: number, x: FloatArray, y: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) y[i] = y[i]! + alpha * x[i]!;
}
