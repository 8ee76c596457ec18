/**
 * The native matrix product against the TypeScript kernels, for the three layouts the layers
 * use, both dtypes, every instruction set this CPU has, one and two threads, and shapes that hit
 * every edge: single elements, partial tiles, k beyond one packed slice, n beyond one panel.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { FloatArray } from "../core/dtype.ts";
import { gemmBackend, gemmNN, gemmNT, gemmTN, PROVIDER_MIN_MULADDS } from "../core/kernels/gemm.ts";
import { tsGemmNN, tsGemmNT, tsGemmTN } from "../core/kernels/gemm-ts.ts";
import { registerKernelProvider } from "../core/kernels/provider.ts";
import { Rng } from "../core/rng.ts";
import { nativeProvider } from "./native-kernels.ts";
import { addonForTests, supportedIsas } from "./test-addon.ts";

const addon = addonForTests();

type Layout = "NT" | "NN" | "TN";

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [8, 32, 3], // exactly one AVX-512 float32 tile
  [9, 33, 2],
  [6, 16, 257], // k beyond one 256-wide packed slice
  [129, 257, 65],
  [20, 600, 17], // n beyond one 512-wide panel
  [301, 3, 40], // m > n: row blocks when threaded
];

/** Element strides of A and B for a layout (as gemm.ts passes them). */
function strides(
  layout: Layout,
  m: number,
  n: number,
  k: number,
): [number, number, number, number] {
  if (layout === "NT") return [k, 1, 1, k];
  if (layout === "NN") return [k, 1, n, 1];
  return [1, m, n, 1];
}

function random(f32: boolean, length: number, rng: Rng): FloatArray {
  const x = f32 ? new Float32Array(length) : new Float64Array(length);
  rng.fillNormal(x);
  return x;
}

/** The TypeScript product for a layout (A and B laid out as that layout stores them). */
function tsProduct(
  layout: Layout,
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
): void {
  const scratch = (len: number): FloatArray =>
    C instanceof Float32Array ? new Float32Array(len) : new Float64Array(len);
  if (layout === "NT") tsGemmNT(m, n, k, A, B, C);
  else if (layout === "NN") tsGemmNN(m, n, k, A, B, C, scratch(k * n));
  else tsGemmTN(m, n, k, A, B, C, scratch(k * m), scratch(k * n));
}

/**
 * Largest |native - ts| over the rounding bound of a k-term sum, (k + 4) eps sum |a_p b_p|, per
 * entry: below 1 when both are right; a wrong index or a missed term gives O(1 / (k eps)).
 */
function errorRatio(
  layout: Layout,
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  got: FloatArray,
  want: FloatArray,
): number {
  const [ars, acs, brs, bcs] = strides(layout, m, n, k);
  const eps = got instanceof Float32Array ? 2 ** -23 : 2 ** -52;
  let worst = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let scale = 0;
      for (let p = 0; p < k; p++) scale += Math.abs(A[i * ars + p * acs]! * B[p * brs + j * bcs]!);
      const err = Math.abs(got[i * n + j]! - want[i * n + j]!);
      const ratio = err === 0 ? 0 : err / ((k + 4) * eps * scale);
      if (!(ratio <= worst)) worst = ratio; // NaN makes it NaN
    }
  return worst;
}

function expectSame(got: FloatArray, want: FloatArray, round: number): void {
  for (let i = 0; i < want.length; i++)
    if (got[i] !== want[i])
      expect(`round ${round}, [${i}] = ${got[i]}`).toBe(`round ${round}, [${i}] = ${want[i]}`);
}

describe.skipIf(addon === null)("native gemm", () => {
  if (!addon) return;
  const initial = addon.info();
  afterAll(() => {
    addon.setIsa(initial.isa);
    addon.setThreads(initial.threads);
    addon.setParallelMin(initial.parallelMinMuladds);
    registerKernelProvider(null);
  });

  for (const isa of supportedIsas(addon))
    for (const threads of [1, 2])
      for (const f32 of [true, false])
        it(`${isa}, ${threads} thread(s), ${f32 ? "float32" : "float64"}: all layouts and shapes`, () => {
          expect(addon.setIsa(isa)).toBe(true);
          addon.setThreads(threads);
          addon.setParallelMin(0); // thread even the smallest products
          const rng = new Rng(7);
          for (const [m, n, k] of SHAPES)
            for (const layout of ["NT", "NN", "TN"] as const) {
              const A = random(f32, m * k, rng);
              const B = random(f32, k * n, rng);
              const want = f32 ? new Float32Array(m * n) : new Float64Array(m * n);
              tsProduct(layout, m, n, k, A, B, want);
              const got = want.slice().fill(Number.NaN); // stale NaNs must not leak
              const [ars, acs, brs, bcs] = strides(layout, m, n, k);
              expect(addon.gemm(m, n, k, A, ars, acs, B, brs, bcs, got, false)).toBe(true);
              expect(
                errorRatio(layout, m, n, k, A, B, got, want),
                `${layout} ${m}x${n}x${k}`,
              ).toBeLessThan(1);
              // accumulate: C + A B
              const base = random(f32, m * n, rng);
              const acc = base.slice();
              expect(addon.gemm(m, n, k, A, ars, acs, B, brs, bcs, acc, true)).toBe(true);
              for (let i = 0; i < m * n; i++) want[i] = want[i]! + base[i]!;
              const accRatio = errorRatio(layout, m, n, k, A, B, acc, want);
              expect(accRatio, `accumulate ${layout} ${m}x${n}x${k}`).toBeLessThan(2);
            }
        });

  it("the thread pool gives the single-thread result for many products while its size changes", () => {
    addon.setIsa(initial.detectedIsa);
    addon.setParallelMin(0);
    const rng = new Rng(5);
    const [m, n, k] = [37, 150, 29];
    const A = random(true, m * k, rng);
    const B = random(true, k * n, rng);
    const base = random(true, m * n, rng);
    addon.setThreads(1);
    const want = base.slice();
    addon.gemm(m, n, k, A, k, 1, B, n, 1, want, true);
    // Chunks claimed by any thread: same blocks, same order within each, so identical sums.
    for (let round = 0; round < 300; round++) {
      addon.setThreads(1 + (round % 4));
      const got = base.slice();
      expect(addon.gemm(m, n, k, A, k, 1, B, n, 1, got, true)).toBe(true);
      expectSame(got, want, round);
    }
  });

  it("k = 0 gives zeros (or leaves C when accumulating)", () => {
    const C = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(addon.gemm(2, 3, 0, new Float32Array(0), 0, 1, new Float32Array(0), 3, 1, C, true)).toBe(
      true,
    );
    expect(Array.from(C)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(
      addon.gemm(2, 3, 0, new Float32Array(0), 0, 1, new Float32Array(0), 3, 1, C, false),
    ).toBe(true);
    expect(Array.from(C)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("propagates NaN and Inf exactly as the TypeScript kernel", () => {
    for (const isa of supportedIsas(addon)) {
      addon.setIsa(isa);
      const [m, n, k] = [9, 35, 20];
      for (const f32 of [true, false]) {
        const rng = new Rng(3);
        const A = random(f32, m * k, rng);
        const B = random(f32, n * k, rng);
        A[2 * k + 3] = Number.NaN; // row 2 of C all NaN
        A[5 * k + 1] = Number.POSITIVE_INFINITY; // row 5: +-Inf, NaN where B(p = 1, j) = 0
        B[7 * k + 1] = 0;
        B[30 * k + 4] = Number.NEGATIVE_INFINITY; // column 30: -+Inf (and NaN in rows 2 and 5)
        const want = f32 ? new Float32Array(m * n) : new Float64Array(m * n);
        tsGemmNT(m, n, k, A, B, want);
        const got = want.slice();
        expect(addon.gemm(m, n, k, A, k, 1, B, 1, k, got, false)).toBe(true);
        let nonFinite = 0;
        for (let i = 0; i < m * n; i++) {
          const w = want[i]!;
          if (Number.isFinite(w)) continue;
          nonFinite++;
          expect(Object.is(got[i], w), `entry ${i}: ${got[i]} vs ${w}`).toBe(true);
        }
        expect(nonFinite).toBe(n + n + m - 2); // rows 2, 5 and column 30
        for (let i = 0; i < m * n; i++)
          expect(Number.isFinite(got[i]!)).toBe(Number.isFinite(want[i]!));
      }
    }
  });

  it("declines mixed dtypes, non-float arrays and out-of-bounds shapes without writing", () => {
    const A = new Float32Array(12);
    const C = new Float32Array(9).fill(7);
    expect(addon.gemm(3, 3, 4, A, 4, 1, new Float64Array(12), 1, 4, C, false)).toBe(false);
    expect(
      addon.gemm(3, 3, 4, A, 4, 1, new Int32Array(12) as unknown as Float32Array, 1, 4, C, false),
    ).toBe(false);
    expect(addon.gemm(3, 3, 5, A, 5, 1, new Float32Array(15), 1, 5, C, false)).toBe(false); // A too short
    expect(addon.gemm(3, 4, 4, A, 4, 1, new Float32Array(16), 1, 4, C, false)).toBe(false); // C too short
    expect(addon.gemm(-1, 3, 4, A, 4, 1, new Float32Array(12), 1, 4, C, false)).toBe(false);
    expect(addon.gemm(3, 3, 4, A, 4, 1, new Float32Array(12), 1, 4.5, C, false)).toBe(false);
    expect(Array.from(C)).toEqual(new Array(9).fill(7));
  });

  it("runs the layers' products through gemm.ts once registered", () => {
    addon.setIsa(initial.detectedIsa);
    addon.setThreads(2);
    registerKernelProvider(nativeProvider(addon));
    expect(gemmBackend()).toBe(`native ${initial.detectedIsa} x2`);
    const [m, n, k] = [33, 40, 50];
    expect(m * n * k).toBeGreaterThan(PROVIDER_MIN_MULADDS);
    const rng = new Rng(11);
    for (const f32 of [true, false]) {
      const A = random(f32, m * k, rng);
      const Bt = random(f32, n * k, rng);
      const B = random(f32, k * n, rng);
      const At = random(f32, k * m, rng);
      const want = f32 ? new Float32Array(m * n) : new Float64Array(m * n);
      const got = want.slice();
      const s = (len: number): FloatArray => (f32 ? new Float32Array(len) : new Float64Array(len));
      const cases: [Layout, FloatArray, FloatArray, () => void][] = [
        ["NT", A, Bt, () => gemmNT(m, n, k, A, Bt, got)],
        ["NN", A, B, () => gemmNN(m, n, k, A, B, got, s(k * n))],
        ["TN", At, B, () => gemmTN(m, n, k, At, B, got, s(k * m), s(k * n))],
      ];
      for (const [layout, a, b, run] of cases) {
        tsProduct(layout, m, n, k, a, b, want);
        run();
        expect(errorRatio(layout, m, n, k, a, b, got, want), layout).toBeLessThan(1);
      }
    }
    registerKernelProvider(null);
  });
});
