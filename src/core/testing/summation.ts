/**
 * Test helpers for kernels that sum in another order than the TypeScript loops they replace
 * (native and WebAssembly reductions, optimizer steps): the rigorous bound on the difference,
 * and the reference quantities. For tests only.
 */
import { expect } from "vitest";
import type { FloatArray } from "../dtype.ts";

/**
 * The error bound of summing n terms in any order, (n - 1) u times the sum of their
 * magnitudes (u = 2^-53), for each of two sums compared: |got - want| <= 2 (n - 1) u scale.
 */
export function summationBound(n: number, scale: number): number {
  return 2 * Math.max(n - 1, 1) * 2 ** -53 * scale + 1e-300;
}

/** got and want, two orders of the same n-term sum with magnitudes summing to `scale`. */
export function expectSum(got: number, want: number, scale: number, n: number, what: string) {
  if (!Number.isFinite(want)) {
    expect(got, what).toBe(want);
    return;
  }
  expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(
    summationBound(n, scale),
  );
}

/** Sum of |x[i]| for i < n. */
export function sumAbs(x: FloatArray, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(x[i]!);
  return s;
}

/** Smallest nonzero |x[i]| for i < n (NaN skipped), Infinity if none. */
export function smallestNonzero(x: FloatArray, n: number): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(x[i]!);
    if (a !== 0 && a < m) m = a;
  }
  return m;
}

/** got equals want element for element: the same value, -0 apart from 0, NaN equal to NaN. */
export function expectSameValues(got: FloatArray, want: FloatArray, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b)))
      expect(`${what}[${i}] = ${a}`).toBe(`${what}[${i}] = ${b}`);
  }
}
