/**
 * The WebAssembly optimizer steps (the end of gemm.as.ts, loaded by optim-wasm.ts) against the
 * TypeScript loops they replace (adam.ts's adamStepTs, sgd.ts's momentumStepTs), on the plain
 * and the relaxed-SIMD builds: parameters, Adam's moments and the momentum buffer bit for bit,
 * the sums within the summation bound, at lengths that exercise the scalar first element, the
 * vector body (4 elements a step) and the tail; NaN and Inf gradients as in TypeScript.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setKernelProviderEnabled } from "../core/kernels/provider.ts";
import {
  adamStepFast,
  momentumStepFast,
  setWasmReductionsEnabled,
} from "../core/kernels/reductions.ts";
import {
  createWasmGemm,
  type WasmGemm,
  wasmSimdSupported,
} from "../core/kernels/wasm/gemm-wasm.ts";
import {
  setWasmOptimMinLength,
  WASM_OPTIM_MIN,
  wasmAdamStep,
  wasmMomentumStep,
} from "../core/kernels/wasm/optim-wasm.ts";
import { adamStepTs } from "../core/optim/adam.ts";
import { momentumStepTs } from "../core/optim/sgd.ts";
import {
  ADAM_CASES,
  adamHyper,
  expectStepSums,
  MOMENTUM_CASES,
  sampleArray,
} from "../core/testing/optim-cases.ts";
import { expectSameValues as expectSame } from "../core/testing/summation.ts";
import { enableNodeWasmRelaxedSimd } from "./node.ts";

const LENGTHS = [1, 3, 4, 5, 8, 17, 1000, 40_001];

/** Positions at element 0, in the vector body and in the scalar tail. */
function spots(n: number): number[] {
  const tail = n - ((n - 1) % 4);
  return [...new Set([0, Math.min(2, n - 1), tail < n ? tail : n - 1, n - 1])];
}

const simd = wasmSimdSupported();
// Relaxed SIMD is behind V8's flag on Node 20: set it before compiling the relaxed build.
const relaxedOk = simd && enableNodeWasmRelaxedSimd();

const builds: [string, () => WasmGemm | null][] = [
  ["plain", () => createWasmGemm({ relaxed: false, threads: false })],
  ["relaxed", () => (relaxedOk ? createWasmGemm({ relaxed: true, threads: false }) : null)],
];

describe.skipIf(!simd)("wasm optimizer steps", () => {
  beforeAll(() => {
    setWasmOptimMinLength(0);
  });
  afterAll(() => {
    setWasmOptimMinLength(WASM_OPTIM_MIN);
  });

  for (const [build, make] of builds)
    for (const f32 of [true, false]) {
      const dtype = f32 ? "float32" : "float64";
      const name = `${build}, ${dtype}`;
      const skip = build === "relaxed" && !relaxedOk;

      it.skipIf(skip)(`${name}: Adam / AdamW match adamStepTs bit for bit`, () => {
        const k = make()!;
        expect(k.relaxed).toBe(build === "relaxed");
        for (const c of ADAM_CASES)
          for (const n of LENGTHS) {
            const hyper = adamHyper(c);
            const x = sampleArray(f32, n, n);
            const g = sampleArray(f32, n, n + 1, 0.1);
            const m = Float64Array.from(sampleArray(false, n, n + 2, 0.01));
            const v = Float64Array.from(sampleArray(false, n, n + 3, 0.001)).map(Math.abs);
            // a zero gradient with a zero second moment (0 / (0 + eps)), a zero weight
            if (n > 20) g[5] = 0;
            if (n > 20) v[5] = 0;
            if (n > 20) x[n - 2] = 0;
            const [x2, m2, v2] = [x.slice(), m.slice(), v.slice()];
            const got = new Float64Array(4);
            const want = new Float64Array(4);
            expect(wasmAdamStep(x, g, m, v, n, hyper, got, k)).toBe(true);
            adamStepTs(x2, g, m2, v2, n, hyper, want);
            const what = `${c.name} n=${n}`;
            expectSame(x, x2, `${what} x`);
            expectSame(m, m2, `${what} m`);
            expectSame(v, v2, `${what} v`);
            expectStepSums(got, want, n, x, what);
            if (n > 1) expect(got[1]).toBeGreaterThan(0);
          }
      });

      it.skipIf(skip)(`${name}: momentum, Nesterov, weight decay match momentumStepTs`, () => {
        const k = make()!;
        for (const [mu, wd, nesterov] of MOMENTUM_CASES)
          for (const n of LENGTHS) {
            const hyper = Float64Array.of(0.05, mu, wd, nesterov);
            const x = sampleArray(f32, n, 2 * n);
            const g = sampleArray(f32, n, 2 * n + 1, 0.1);
            const b = mu === 0 ? null : Float64Array.from(sampleArray(false, n, 2 * n + 2, 0.1));
            const [x2, b2] = [x.slice(), b?.slice() ?? null];
            const got = new Float64Array(4);
            const want = new Float64Array(4);
            expect(wasmMomentumStep(x, g, b, n, hyper, got, k)).toBe(true);
            momentumStepTs(x2, g, b2, n, hyper, want);
            const what = `mu ${mu} wd ${wd} nesterov ${nesterov} n=${n}`;
            expectSame(x, x2, `${what} x`);
            if (b && b2) expectSame(b, b2, `${what} b`);
            expectStepSums(got, want, n, x, what);
          }
      });

      it.skipIf(skip)(`${name}: NaN and Inf gradients propagate as in TypeScript`, () => {
        const k = make()!;
        const got = new Float64Array(4);
        const want = new Float64Array(4);
        const sameNaN = (what: string) => {
          for (let i = 0; i < 4; i++)
            expect(Number.isNaN(got[i]!), `${what} out[${i}]`).toBe(Number.isNaN(want[i]!));
        };
        for (const n of [1, 5, 9, 1000])
          for (const at of spots(n))
            for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
              const what = `${bad} at ${at}/${n}`;
              for (const c of [ADAM_CASES[1]!, ADAM_CASES[3]!]) {
                const hyper = adamHyper(c);
                const x = sampleArray(f32, n, 1);
                const g = sampleArray(f32, n, 2);
                g[at] = bad;
                const [m, v] = [new Float64Array(n), new Float64Array(n)];
                const [x2, m2, v2] = [x.slice(), m.slice(), v.slice()];
                expect(wasmAdamStep(x, g, m, v, n, hyper, got, k)).toBe(true);
                adamStepTs(x2, g, m2, v2, n, hyper, want);
                expectSame(x, x2, `adam ${what} x`);
                expectSame(m, m2, `adam ${what} m`);
                expectSame(v, v2, `adam ${what} v`);
                sameNaN(`adam ${what}`);
              }
              for (const [mu, wd, nesterov] of MOMENTUM_CASES) {
                const hyper = Float64Array.of(0.1, mu, wd, nesterov);
                const x = sampleArray(f32, n, 3);
                const g = sampleArray(f32, n, 4);
                g[at] = bad;
                const b = mu === 0 ? null : new Float64Array(n).fill(0.5);
                const [x2, b2] = [x.slice(), b?.slice() ?? null];
                expect(wasmMomentumStep(x, g, b, n, hyper, got, k)).toBe(true);
                momentumStepTs(x2, g, b2, n, hyper, want);
                expectSame(x, x2, `momentum ${what} x`);
                if (b && b2) expectSame(b, b2, `momentum ${what} b`);
                sameNaN(`momentum ${what}`);
              }
            }
      });
    }

  it("declines mixed dtypes, short arrays and short hyperparameters, touching nothing", () => {
    const k = createWasmGemm({ relaxed: false, threads: false })!;
    const x = new Float32Array(16).fill(1);
    const g = new Float32Array(16).fill(1);
    const out = new Float64Array(4);
    const f64 = (n: number) => new Float64Array(n);
    const h8 = f64(8).fill(0.5);
    const h4 = f64(4).fill(0.5);
    expect(wasmAdamStep(x, f64(16), f64(16), f64(16), 16, h8, out, k)).toBe(false);
    expect(wasmAdamStep(x, new Float32Array(15), f64(16), f64(16), 16, h8, out, k)).toBe(false);
    expect(wasmAdamStep(x, g, f64(15), f64(16), 16, h8, out, k)).toBe(false);
    expect(wasmAdamStep(x, g, f64(16), f64(15), 16, h8, out, k)).toBe(false);
    expect(wasmAdamStep(x, g, f64(16), f64(16), 16, f64(7), out, k)).toBe(false);
    expect(wasmAdamStep(x, g, f64(16), f64(16), 16, h8, f64(3), k)).toBe(false);
    expect(wasmAdamStep(x, g, f64(16), f64(16), 17, h8, out, k)).toBe(false);
    expect(wasmMomentumStep(x, f64(16), null, 16, h4, out, k)).toBe(false);
    expect(wasmMomentumStep(x, g, f64(15), 16, h4, out, k)).toBe(false);
    expect(wasmMomentumStep(x, g, null, 16, f64(3), out, k)).toBe(false);
    expect(wasmMomentumStep(x, g, null, 16, h4, f64(3), k)).toBe(false);
    expect(wasmMomentumStep(new Int32Array(16) as never, g, null, 16, h4, out, k)).toBe(false);
    expect(wasmAdamStep(x, g, f64(16), f64(16), 16, h8, out, null)).toBe(false);
    expect(Array.from(x)).toEqual(new Array(16).fill(1));
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
  });

  it("operands longer than n: only [0, n) is read and written", () => {
    const k = createWasmGemm({ relaxed: false, threads: false })!;
    const n = 37;
    const hyper = adamHyper(ADAM_CASES[2]!);
    const x = sampleArray(true, n + 5, 1);
    const g = sampleArray(true, n + 5, 2);
    const [m, v] = [new Float64Array(n + 5).fill(0.25), new Float64Array(n + 5).fill(0.5)];
    const [x2, m2, v2] = [x.slice(), m.slice(), v.slice()];
    expect(wasmAdamStep(x, g, m, v, n, hyper, new Float64Array(4), k)).toBe(true);
    adamStepTs(x2, g, m2, v2, n, hyper, new Float64Array(4));
    expectSame(x, x2, "x");
    expectSame(m, m2, "m");
    expectSame(v, v2, "v");
  });

  it("the dispatch runs wasm with the provider off, and neither when both are off", () => {
    const provider = setKernelProviderEnabled(false);
    try {
      const n = 64;
      const x = sampleArray(true, n, 1);
      const g = sampleArray(true, n, 2);
      const out = new Float64Array(4);
      const hyper = adamHyper(ADAM_CASES[0]!);
      const [m, v] = [new Float64Array(n), new Float64Array(n)];
      const [x2, m2, v2] = [x.slice(), m.slice(), v.slice()];
      expect(adamStepFast(x, g, m, v, n, hyper, out)).toBe(true);
      adamStepTs(x2, g, m2, v2, n, hyper, out);
      expectSame(x, x2, "x");
      const b = new Float64Array(n);
      expect(momentumStepFast(x, g, b, n, Float64Array.of(0.1, 0.9, 0, 0), out)).toBe(true);
      const wasm = setWasmReductionsEnabled(false);
      const y = x.slice();
      expect(adamStepFast(y, g, m, v, n, hyper, out)).toBe(false);
      expect(momentumStepFast(y, g, b, n, Float64Array.of(0.1, 0.9, 0, 0), out)).toBe(false);
      expect(y).toEqual(x);
      setWasmReductionsEnabled(wasm);
      // below the crossover length the TypeScript loops run
      setWasmOptimMinLength(WASM_OPTIM_MIN);
      expect(
        momentumStepFast(y, g, null, WASM_OPTIM_MIN - 1, Float64Array.of(0.1, 0, 1e-4, 0), out),
      ).toBe(false);
      setWasmOptimMinLength(0);
    } finally {
      setKernelProviderEnabled(provider);
    }
  });

  it("reuses its memory: a steady-state call keeps the same views", () => {
    const k = createWasmGemm({ relaxed: false, threads: false })!;
    const n = 50_000;
    const x = sampleArray(true, n, 9);
    const g = sampleArray(true, n, 10);
    const [m, v] = [new Float64Array(n), new Float64Array(n)];
    const hyper = adamHyper(ADAM_CASES[0]!);
    const out = new Float64Array(4);
    wasmAdamStep(x, g, m, v, n, hyper, out, k);
    const view = k.viewF64;
    for (let i = 0; i < 3; i++) wasmAdamStep(x, g, m, v, n, hyper, out, k);
    expect(k.viewF64).toBe(view);
  });
});
