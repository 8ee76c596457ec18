/**
 * The native metric reductions (native/src/reductions.c) against the TypeScript loops they
 * replace: counts and the SGD update bit for bit, float64 sums within round-off of a different
 * summation order, on every instruction set this CPU runs, at lengths that exercise the vector
 * body, the scalar tail and the chunked two-thread split, with zeros, subnormals, NaN and Inf.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { FloatArray } from "../core/dtype.ts";
import { plainStepSumsTs } from "../core/optim/sgd.ts";
import { Rng } from "../core/rng.ts";
import { expectSum, smallestNonzero, sumAbs } from "../core/testing/summation.ts";
import { activationPass } from "../probe/layer-metrics.ts";
import { momentsTs } from "../probe/stats.ts";
import { addonForTests, supportedIsas } from "./test-addon.ts";

const addon = addonForTests();

const LENGTHS = [0, 1, 7, 8, 15, 16, 17, 1000, 32_767, 32_768, 65_541, 100_003];

function sample(f32: boolean, n: number, seed: number): FloatArray {
  const x = f32 ? new Float32Array(n) : new Float64Array(n);
  new Rng(seed).fillNormal(x);
  return x;
}

describe.skipIf(addon === null)("native metric reductions", () => {
  if (!addon) return;
  const initial = addon.info();
  afterAll(() => {
    addon.setIsa(initial.isa);
    addon.setThreads(initial.threads);
  });

  for (const isa of supportedIsas(addon))
    for (const f32 of [true, false]) {
      const dtype = f32 ? "float32" : "float64";

      it(`${isa}, ${dtype}: moments = sums, sum of squares and the smallest nonzero |x|`, () => {
        expect(addon.setIsa(isa)).toBe(true);
        const out = new Float64Array(3);
        const want = new Float64Array(3);
        for (const n of LENGTHS) {
          const x = sample(f32, n, n + 1);
          // zeros (ReLU), a subnormal and a tiny normal in the body and the tail
          for (let i = 3; i < n; i += 5) x[i] = 0;
          if (n > 20) x[n - 2] = f32 ? 3e-39 : 3e-310;
          if (n > 10) x[9] = 1e-30;
          expect(addon.moments(x, n, out)).toBe(true);
          momentsTs(x, n, want);
          expectSum(out[0]!, want[0]!, sumAbs(x, n), n, `sum n=${n}`);
          expectSum(out[1]!, want[1]!, want[1]!, n, `sum of squares n=${n}`);
          expect(out[2], `min n=${n}`).toBe(smallestNonzero(x, n));
        }
      });

      it(`${isa}, ${dtype}: NaN and Inf reach the sums, wherever they sit`, () => {
        addon.setIsa(isa);
        const out = new Float64Array(3);
        for (const n of [9, 40_000]) {
          for (const at of [0, 5, n - 1]) {
            const x = sample(f32, n, 3);
            x[at] = Number.NaN;
            addon.moments(x, n, out);
            expect(Number.isNaN(out[0]!) && Number.isNaN(out[1]!)).toBe(true);
            x[at] = Number.NEGATIVE_INFINITY;
            addon.moments(x, n, out);
            expect([out[0], out[1]]).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
          }
        }
      });

      it(`${isa}, ${dtype}: activation pass counts exactly and sums within round-off`, () => {
        addon.setIsa(isa);
        const out = new Float64Array(5);
        const want = new Float64Array(5);
        for (const n of LENGTHS) {
          const u = sample(f32, n, 7 + n);
          for (let i = 0; i < n; i++) u[i] = u[i]! * 4;
          for (const kind of [0, 1, 2]) {
            const phi = f32 ? new Float32Array(n) : new Float64Array(n);
            const d = new Float64Array(n);
            for (let i = 0; i < n; i++) {
              const v = u[i]!;
              phi[i] =
                kind === 2 ? 1 / (1 + Math.exp(-v)) : kind === 1 ? Math.tanh(v) : Math.max(v, 0);
              d[i] = v > 0 ? 1 : 0; // kind 0 reads phi' from d (ReLU here)
            }
            expect(addon.activationPass(kind, phi, u, d, n, 0.01, out)).toBe(true);
            activationPass(phi, u, d, n, kind, 0.01, want);
            expect([out[0], out[1]], `counts kind ${kind} n=${n}`).toEqual([want[0], want[1]]);
            expectSum(out[2]!, want[2]!, sumAbs(phi, n), n, `sum phi kind ${kind} n=${n}`);
            expectSum(out[3]!, want[3]!, want[3]!, n, `sum phi^2 kind ${kind} n=${n}`);
            expectSum(out[4]!, want[4]!, want[4]!, n, `sum u^2 kind ${kind} n=${n}`);
          }
        }
        // saturated tanh: phi' rounds to exactly 0 and counts as zero and low
        const big = f32 ? new Float32Array(24).fill(30) : new Float64Array(24).fill(30);
        const phi = big.map(Math.tanh);
        addon.activationPass(1, phi, big, new Float64Array(24), 24, 0.01, out);
        expect([out[0], out[1]]).toEqual([24, 24]);
        expect(addon.activationPass(3, phi, big, new Float64Array(24), 24, 0.01, out)).toBe(false);
      });

      it(`${isa}, ${dtype}: SGD step with update and weight sums writes what TypeScript writes`, () => {
        addon.setIsa(isa);
        const out = new Float64Array(4);
        const want = new Float64Array(4);
        for (const n of LENGTHS) {
          const x = sample(f32, n, 11 + n);
          const g = sample(f32, n, 12 + n);
          const wantX = x.slice();
          const lr = 0.037;
          plainStepSumsTs(wantX, g, n, lr, want);
          expect(addon.sgdStepSums(lr, x, g, n, out)).toBe(true);
          for (let i = 0; i < n; i++)
            if (x[i] !== wantX[i]) expect(`x[${i}] = ${x[i]}`).toBe(`${wantX[i]}`);
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
      });
    }

  it("long arrays split over threads give the one-thread result bit for bit", () => {
    addon.setIsa(initial.detectedIsa);
    const n = 100_003;
    for (const f32 of [true, false]) {
      const x = sample(f32, n, 21);
      const u = sample(f32, n, 22);
      const phi = u.map(Math.tanh);
      const g = sample(f32, n, 23);
      const results: number[][] = [];
      const weights: FloatArray[] = [];
      for (const threads of [1, 2, 3]) {
        addon.setThreads(threads);
        const m = new Float64Array(3);
        const a = new Float64Array(5);
        const s = new Float64Array(4);
        const w = x.slice();
        addon.moments(x, n, m);
        addon.activationPass(1, phi, u, new Float64Array(n), n, 0.01, a);
        addon.sgdStepSums(0.1, w, g, n, s);
        results.push([...m, ...a, ...s]);
        weights.push(w);
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
      expect(Array.from(weights[1]!)).toEqual(Array.from(weights[0]!));
    }
    addon.setThreads(initial.threads);
  });

  it("declines short result arrays, mixed dtypes and out-of-range lengths", () => {
    const x = new Float32Array(16).fill(1);
    expect(addon.moments(x, 16, new Float64Array(2))).toBe(false);
    expect(addon.moments(x, 17, new Float64Array(3))).toBe(false);
    expect(addon.moments(x, 16, new Float32Array(3) as unknown as Float64Array)).toBe(false);
    const out = new Float64Array(5);
    expect(
      addon.activationPass(1, x, new Float64Array(16), new Float64Array(16), 16, 0.01, out),
    ).toBe(false);
    expect(addon.sgdStepSums(0.1, x, new Float32Array(16), 16, new Float64Array(3))).toBe(false);
    expect(addon.sgdStepSums(0.1, x, new Float64Array(16), 16, new Float64Array(4))).toBe(false);
    expect(addon.sgdStepSums(0.1, x, new Float32Array(15), 16, new Float64Array(4))).toBe(false);
    expect(Array.from(x)).toEqual(new Array(16).fill(1));
  });
});
