/**
 * The WebAssembly metric reductions (the end of gemm.as.ts, loaded by reductions-wasm.ts)
 * against the TypeScript loops they replace, on the plain and the relaxed-SIMD builds: counts
 * and the SGD update bit for bit, float64 sums within round-off of a different summation order,
 * at lengths that exercise the vector body (8 elements a step) and the scalar tail, with zeros,
 * a subnormal, NaN and Inf in the body and in the tail.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FloatArray } from "../core/dtype.ts";
import { setKernelProviderEnabled } from "../core/kernels/provider.ts";
import { activationPassFast, momentsFast, sgdStepSumsFast } from "../core/kernels/reductions.ts";
import {
  createWasmGemm,
  type WasmGemm,
  wasmSimdSupported,
} from "../core/kernels/wasm/gemm-wasm.ts";
import {
  setWasmReductionMinLength,
  setWasmReductionsEnabled,
  WASM_REDUCTION_MIN,
  wasmActivationPass,
  wasmMoments,
  wasmSgdStepSums,
} from "../core/kernels/wasm/reductions-wasm.ts";
import { plainStepSumsTs } from "../core/optim/sgd.ts";
import { Rng } from "../core/rng.ts";
import {
  expectSameValues as expectSameArray,
  expectSum,
  smallestNonzero,
  sumAbs,
} from "../core/testing/summation.ts";
import { activationPass } from "../probe/layer-metrics.ts";
import { momentsTs } from "../probe/stats.ts";
import { enableNodeWasmRelaxedSimd } from "./node.ts";

const LENGTHS = [0, 1, 3, 4, 5, 7, 8, 9, 17, 1000, 65_541];

function sample(f32: boolean, n: number, seed: number): FloatArray {
  const x = f32 ? new Float32Array(n) : new Float64Array(n);
  new Rng(seed).fillNormal(x);
  return x;
}

/** Positions in the vector body and in the scalar tail (n mod 8 elements at the end). */
function spots(n: number): number[] {
  const tail = n - (n % 8);
  return [...new Set([0, Math.min(5, n - 1), tail < n ? tail : n - 1, n - 1])].filter(
    (i) => i >= 0,
  );
}

const simd = wasmSimdSupported();
// Relaxed SIMD is behind V8's flag on Node 20: set it before compiling the relaxed build.
const relaxedOk = simd && enableNodeWasmRelaxedSimd();

const builds: [string, () => WasmGemm | null][] = [
  ["plain", () => createWasmGemm({ relaxed: false, threads: false })],
  ["relaxed", () => (relaxedOk ? createWasmGemm({ relaxed: true, threads: false }) : null)],
];

describe.skipIf(!simd)("wasm metric reductions", () => {
  beforeAll(() => {
    setWasmReductionMinLength(0);
  });
  afterAll(() => {
    setWasmReductionMinLength(WASM_REDUCTION_MIN);
  });

  for (const [build, make] of builds)
    for (const f32 of [true, false]) {
      const dtype = f32 ? "float32" : "float64";
      const name = `${build}, ${dtype}`;
      const skip = build === "relaxed" && !relaxedOk;

      it.skipIf(skip)(`${name}: moments = sum, sum of squares, smallest nonzero |x|`, () => {
        const k = make()!;
        expect(k.relaxed).toBe(build === "relaxed");
        const out = new Float64Array(3);
        const want = new Float64Array(3);
        for (const n of LENGTHS) {
          const x = sample(f32, n, n + 1);
          // zeros (ReLU), a subnormal and a tiny normal, in the body and the tail
          for (let i = 3; i < n; i += 5) x[i] = 0;
          if (n > 2) x[n - 1] = f32 ? 3e-39 : 3e-310;
          if (n > 10) x[9] = 1e-30;
          if (n > 20) x[n - 12] = f32 ? 2e-39 : 2e-310;
          expect(wasmMoments(x, n, out, k)).toBe(true);
          momentsTs(x, n, want);
          expectSum(out[0]!, want[0]!, sumAbs(x, n), n, `sum n=${n}`);
          expectSum(out[1]!, want[1]!, want[1]!, n, `sum of squares n=${n}`);
          expect(out[2], `min n=${n}`).toBe(smallestNonzero(x, n));
        }
        // all zeros: no nonzero value
        expect(wasmMoments(new Float32Array(13), 13, out, k)).toBe(true);
        expect([...out]).toEqual([0, 0, Number.POSITIVE_INFINITY]);
      });

      it.skipIf(skip)(`${name}: NaN and Inf reach the sums, in body and tail`, () => {
        const k = make()!;
        const out = new Float64Array(3);
        for (const n of [1, 5, 9, 1000, 65_541]) {
          for (const at of spots(n)) {
            const x = sample(f32, n, 3);
            x[at] = Number.NaN;
            expect(wasmMoments(x, n, out, k)).toBe(true);
            expect(Number.isNaN(out[0]!) && Number.isNaN(out[1]!), `NaN at ${at}/${n}`).toBe(true);
            // NaN never wins the minimum
            expect(out[2]).toBe(smallestNonzero(x, n));
            x[at] = Number.NEGATIVE_INFINITY;
            wasmMoments(x, n, out, k);
            expect([out[0], out[1]]).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
            expect(out[2]).toBe(smallestNonzero(x, n));
          }
        }
      });

      it.skipIf(skip)(`${name}: activation pass counts exactly, sums within round-off`, () => {
        const k = make()!;
        const out = new Float64Array(5);
        const want = new Float64Array(5);
        for (const n of LENGTHS) {
          const u = sample(f32, n, 7 + n);
          for (let i = 0; i < n; i++) u[i] = u[i]! * 4;
          // saturated tanh (phi' rounds to 0), a subnormal, in body and tail
          for (const at of spots(n)) u[at] = 30;
          if (n > 9) u[9] = f32 ? 3e-39 : 3e-310;
          for (const kind of [0, 1, 2]) {
            const phi = f32 ? new Float32Array(n) : new Float64Array(n);
            const d = new Float64Array(n);
            for (let i = 0; i < n; i++) {
              const v = u[i]!;
              phi[i] =
                kind === 2 ? 1 / (1 + Math.exp(-v)) : kind === 1 ? Math.tanh(v) : Math.max(v, 0);
              d[i] = v > 0 ? 1 : 0; // kind 0 reads phi' from d (ReLU here)
            }
            expect(wasmActivationPass(kind, phi, u, d, n, 0.01, out, k)).toBe(true);
            activationPass(phi, u, d, n, kind, 0.01, want);
            const what = `kind ${kind} n=${n}`;
            expect([out[0], out[1]], `counts ${what}`).toEqual([want[0], want[1]]);
            expectSum(out[2]!, want[2]!, sumAbs(phi, n), n, `sum phi ${what}`);
            expectSum(out[3]!, want[3]!, want[3]!, n, `sum phi^2 ${what}`);
            expectSum(out[4]!, want[4]!, want[4]!, n, `sum u^2 ${what}`);
          }
        }
        // NaN and Inf in phi and u, in body and tail, reach the sums as in TypeScript
        for (const n of [5, 9, 1000]) {
          for (const at of spots(n)) {
            const u = sample(f32, n, 5);
            const phi = u.map(Math.tanh);
            const d = new Float64Array(n);
            phi[at] = Number.NaN;
            u[at] = Number.POSITIVE_INFINITY;
            wasmActivationPass(1, phi, u, d, n, 0.01, out, k);
            activationPass(phi, u, d, n, 1, 0.01, want);
            // counts equal, sums NaN (phi) and Inf (u^2) alike (toEqual matches NaN with NaN)
            expect([...out], `NaN/Inf at ${at}/${n}`).toEqual([...want]);
            expect(out[4]).toBe(Number.POSITIVE_INFINITY);
          }
        }
        expect(
          wasmActivationPass(
            3,
            new Float32Array(8),
            new Float32Array(8),
            new Float64Array(8),
            8,
            0.01,
            out,
            k,
          ),
        ).toBe(false);
      });

      it.skipIf(skip)(`${name}: SGD step writes what TypeScript writes, sums in round-off`, () => {
        const k = make()!;
        const out = new Float64Array(4);
        const want = new Float64Array(4);
        for (const n of LENGTHS) {
          const x = sample(f32, n, 11 + n);
          const g = sample(f32, n, 12 + n);
          // zeros, subnormal results (x - lr g lands below the normal range), in body and tail
          for (let i = 2; i < n; i += 7) x[i] = 0;
          const tiny = f32 ? 1e-38 : 1e-307;
          for (const at of spots(n)) {
            if (at === 0) continue;
            x[at] = tiny;
            g[at] = tiny / 0.037 / 2;
          }
          const wantX = x.slice();
          const lr = 0.037;
          plainStepSumsTs(wantX, g, n, lr, want);
          expect(wasmSgdStepSums(lr, x, g, n, out, k)).toBe(true);
          expectSameArray(x, wantX, `n=${n}`);
          let absUpdate = 0;
          // |e_i| <= |update_i| + |update_0|, each within a rounding of lr g (1% covers it)
          for (let i = 0; i < n; i++)
            absUpdate += 1.01 * (Math.abs(lr * g[i]!) + Math.abs(lr * g[0]!));
          expectSum(out[0]!, want[0]!, absUpdate, n, `sum e n=${n}`);
          expectSum(out[1]!, want[1]!, want[1]!, n, `sum e^2 n=${n}`);
          expectSum(out[2]!, want[2]!, sumAbs(x, n), n, `sum x n=${n}`);
          expectSum(out[3]!, want[3]!, want[3]!, n, `sum x^2 n=${n}`);
          if (n > 1) expect(out[1]).toBeGreaterThan(0);
        }
        // NaN and Inf in g reach x and the sums, in body and tail
        for (const n of [5, 9, 1000]) {
          for (const at of spots(n)) {
            for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
              const x = sample(f32, n, 1);
              const g = sample(f32, n, 2);
              g[at] = bad;
              const wantX = x.slice();
              plainStepSumsTs(wantX, g, n, 0.1, want);
              wasmSgdStepSums(0.1, x, g, n, out, k);
              expectSameArray(x, wantX, `${bad} at ${at}/${n}`);
              for (let i = 0; i < 4; i++)
                expect(Number.isNaN(out[i]!), `out[${i}] ${bad} at ${at}/${n}`).toBe(
                  Number.isNaN(want[i]!),
                );
            }
          }
        }
      });
    }

  it("declines mixed dtypes, short arrays and short results, touching nothing", () => {
    const k = createWasmGemm({ relaxed: false, threads: false })!;
    const x = new Float32Array(16).fill(1);
    expect(wasmMoments(x, 17, new Float64Array(3), k)).toBe(false);
    expect(wasmMoments(x, 16, new Float64Array(2), k)).toBe(false);
    const out = new Float64Array(5);
    expect(
      wasmActivationPass(1, x, new Float64Array(16), new Float64Array(16), 16, 0.01, out, k),
    ).toBe(false);
    expect(wasmActivationPass(0, x, x, new Float64Array(15), 16, 0.01, out, k)).toBe(false);
    expect(wasmSgdStepSums(0.1, x, new Float64Array(16), 16, new Float64Array(4), k)).toBe(false);
    expect(wasmSgdStepSums(0.1, x, new Float32Array(15), 16, new Float64Array(4), k)).toBe(false);
    expect(wasmSgdStepSums(0.1, x, new Float32Array(16), 16, new Float64Array(3), k)).toBe(false);
    expect(Array.from(x)).toEqual(new Array(16).fill(1));
    expect(wasmMoments(x, 16, new Float64Array(3), null)).toBe(false);
  });

  it("the dispatch runs wasm with the provider off, and neither when both are off", () => {
    const provider = setKernelProviderEnabled(false);
    try {
      const x = new Float32Array(64).fill(0.5);
      const out = new Float64Array(5);
      expect(momentsFast(x, 64, out)).toBe(true);
      expect([out[0], out[1], out[2]]).toEqual([32, 16, 0.5]);
      expect(activationPassFast(1, x, x, new Float64Array(64), 64, 0.01, out)).toBe(true);
      expect(sgdStepSumsFast(0.1, x.slice(), x, 64, out)).toBe(true);
      const wasm = setWasmReductionsEnabled(false);
      expect(momentsFast(x, 64, out)).toBe(false);
      expect(activationPassFast(1, x, x, new Float64Array(64), 64, 0.01, out)).toBe(false);
      const y = x.slice();
      expect(sgdStepSumsFast(0.1, y, x, 64, out)).toBe(false);
      expect(y).toEqual(x);
      setWasmReductionsEnabled(wasm);
      // below the crossover length the TypeScript loops run
      setWasmReductionMinLength(WASM_REDUCTION_MIN);
      expect(momentsFast(x, Math.min(64, WASM_REDUCTION_MIN - 1), out)).toBe(false);
      setWasmReductionMinLength(0);
    } finally {
      setKernelProviderEnabled(provider);
    }
  });

  it("reuses its memory: a steady-state call keeps the same views", () => {
    const k = createWasmGemm({ relaxed: false, threads: false })!;
    const x = sample(true, 50_000, 9);
    const g = sample(true, 50_000, 10);
    const out = new Float64Array(4);
    wasmSgdStepSums(0.01, x, g, 50_000, out, k);
    const view = k.viewF32;
    for (let i = 0; i < 3; i++) wasmSgdStepSums(0.01, x, g, 50_000, out, k);
    expect(k.viewF32).toBe(view);
  });
});
