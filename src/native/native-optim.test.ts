/**
 * The native optimizer steps (native/src/optim.c) against the TypeScript loops of
 * src/core/optim: parameters, Adam's moments and the momentum buffer bit for bit, the update
 * and weight sums within the summation error bound, on every instruction set this CPU runs, at
 * lengths that exercise the vector body, the tail and the chunked two-thread split.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { FloatArray } from "../core/dtype.ts";
import { adamStepTs } from "../core/optim/adam.ts";
import { momentumStepTs } from "../core/optim/sgd.ts";
import { Rng } from "../core/rng.ts";
import { expectSameValues as expectSame, summationBound } from "../core/testing/summation.ts";
import { addonForTests, supportedIsas } from "./test-addon.ts";

const addon = addonForTests();
const LENGTHS = [1, 7, 8, 9, 17, 1000, 40_001, 100_003];

function sample(f32: boolean, n: number, seed: number, scale = 1): FloatArray {
  const x = f32 ? new Float32Array(n) : new Float64Array(n);
  new Rng(seed).fillNormal(x);
  for (let i = 0; i < n; i++) x[i] = x[i]! * scale;
  return x;
}

/** Within the summation bound (core/testing/summation.ts): any order of n terms. */
function expectSums(got: Float64Array, want: Float64Array, n: number, x: FloatArray): void {
  let mag = 0;
  for (let i = 0; i < n; i++) mag += Math.abs(x[i]!);
  const bound = (scale: number): number => summationBound(n, scale);
  expect(Math.abs(got[1]! - want[1]!)).toBeLessThanOrEqual(bound(want[1]!));
  expect(Math.abs(got[2]! - want[2]!)).toBeLessThanOrEqual(bound(mag));
  expect(Math.abs(got[3]! - want[3]!)).toBeLessThanOrEqual(bound(want[3]!));
  // sum e: its terms are bounded by the largest update
  expect(Math.abs(got[0]! - want[0]!)).toBeLessThanOrEqual(
    bound(n * Math.sqrt(want[1]! / n + 1) * 4),
  );
}

const ADAM_CASES = [
  { name: "adam, step 1", w1: 0.1, beta2: 0.999, t: 1, lr: 1e-3, l2: 0, decay: 1 },
  { name: "adam with L2, step 7", w1: 0.1, beta2: 0.999, t: 7, lr: 1e-2, l2: 0.01, decay: 1 },
  { name: "adamw, step 3", w1: 0.1, beta2: 0.99, t: 3, lr: 1e-3, l2: 0, decay: 1 - 1e-3 * 0.01 },
  { name: "beta1 0.3 (lerp's other formula)", w1: 0.7, beta2: 0.9, t: 2, lr: 0.1, l2: 0, decay: 1 },
];

describe.skipIf(addon === null)("native optimizer steps", () => {
  if (!addon) return;
  const initial = addon.info();
  afterAll(() => {
    addon.setIsa(initial.isa);
    addon.setThreads(initial.threads);
  });

  for (const isa of supportedIsas(addon))
    for (const f32 of [true, false]) {
      const dtype = f32 ? "float32" : "float64";
      it(`${isa}, ${dtype}: Adam / AdamW match adam.ts bit for bit`, () => {
        expect(addon.setIsa(isa)).toBe(true);
        for (const c of ADAM_CASES)
          for (const n of LENGTHS) {
            const hyper = Float64Array.of(
              c.w1,
              c.beta2,
              1 - c.beta2,
              1e-8,
              c.lr / (1 - (1 - c.w1) ** c.t),
              Math.sqrt(1 - c.beta2 ** c.t),
              c.l2,
              c.decay,
            );
            const x = sample(f32, n, n);
            const g = sample(f32, n, n + 1, 0.1);
            const m = Float64Array.from(sample(false, n, n + 2, 0.01));
            const v = Float64Array.from(sample(false, n, n + 3, 0.001)).map(Math.abs);
            if (n > 20) g[5] = 0; // a zero gradient with a zero second moment: 0 / (0 + eps)
            if (n > 20) v[5] = 0;
            const [x2, m2, v2] = [x.slice(), m.slice(), v.slice()];
            const got = new Float64Array(4);
            const want = new Float64Array(4);
            expect(addon.adamStep(x, g, m, v, n, hyper, got)).toBe(true);
            adamStepTs(x2, g, m2, v2, n, hyper, want);
            expectSame(x, x2, `${c.name} n=${n} x`);
            expectSame(m, m2, `${c.name} n=${n} m`);
            expectSame(v, v2, `${c.name} n=${n} v`);
            expectSums(got, want, n, x);
          }
      });

      it(`${isa}, ${dtype}: momentum, Nesterov and weight decay match sgd.ts bit for bit`, () => {
        addon.setIsa(isa);
        for (const [mu, wd, nesterov] of [
          [0.9, 0, 0],
          [0.9, 1e-4, 1],
          [0, 5e-4, 0],
        ] as const)
          for (const n of LENGTHS) {
            const hyper = Float64Array.of(0.05, mu, wd, nesterov);
            const x = sample(f32, n, 2 * n);
            const g = sample(f32, n, 2 * n + 1, 0.1);
            const b = mu === 0 ? null : Float64Array.from(sample(false, n, 2 * n + 2, 0.1));
            const [x2, b2] = [x.slice(), b?.slice() ?? null];
            const got = new Float64Array(4);
            const want = new Float64Array(4);
            expect(addon.momentumStep(x, g, b, n, hyper, got)).toBe(true);
            momentumStepTs(x2, g, b2, n, hyper, want);
            expectSame(x, x2, `mu ${mu} wd ${wd} n=${n} x`);
            if (b && b2) expectSame(b, b2, `mu ${mu} n=${n} b`);
            expectSums(got, want, n, x);
          }
      });
    }

  it("NaN and Inf in the gradient propagate as in TypeScript", () => {
    addon.setIsa(initial.detectedIsa);
    const n = 24;
    const hyper = Float64Array.of(0.1, 0.999, 0.001, 1e-8, 0.01, Math.sqrt(0.001), 0, 1);
    const x = sample(true, n, 1);
    const g = sample(true, n, 2);
    g[3] = Number.NaN;
    g[12] = Number.POSITIVE_INFINITY;
    const [m, v] = [new Float64Array(n), new Float64Array(n)];
    const [x2, m2, v2] = [x.slice(), m.slice(), v.slice()];
    const out = new Float64Array(4);
    addon.adamStep(x, g, m, v, n, hyper, out);
    adamStepTs(x2, g, m2, v2, n, hyper, new Float64Array(4));
    expectSame(x, x2, "x");
    expect(Number.isNaN(out[1]!)).toBe(true);
  });

  it("long arrays split over threads give the one-thread result bit for bit", () => {
    addon.setIsa(initial.detectedIsa);
    const n = 100_003;
    const hyper = Float64Array.of(0.1, 0.999, 0.001, 1e-8, 0.01, Math.sqrt(0.001), 0, 1);
    const runs = [1, 2, 3].map((threads) => {
      addon.setThreads(threads);
      const x = sample(true, n, 5);
      const [m, v] = [new Float64Array(n), new Float64Array(n)];
      const out = new Float64Array(4);
      addon.adamStep(x, sample(true, n, 6), m, v, n, hyper, out);
      return [Array.from(out), x] as const;
    });
    addon.setThreads(initial.threads);
    for (const [out, x] of runs.slice(1)) {
      expect(out).toEqual(runs[0]![0]);
      expectSame(x, runs[0]![1], "x");
    }
  });

  it("declines mismatched dtypes, short state and short hyperparameter arrays", () => {
    const x = new Float32Array(16).fill(1);
    const out = new Float64Array(4);
    const f64 = (k: number) => new Float64Array(k);
    expect(addon.adamStep(x, f64(16), f64(16), f64(16), 16, f64(8), out)).toBe(false);
    expect(addon.adamStep(x, new Float32Array(16), f64(15), f64(16), 16, f64(8), out)).toBe(false);
    expect(addon.adamStep(x, new Float32Array(16), f64(16), f64(16), 16, f64(7), out)).toBe(false);
    expect(addon.momentumStep(x, new Float32Array(16), f64(8), 16, f64(4), out)).toBe(false);
    expect(addon.momentumStep(x, new Float32Array(16), null, 16, f64(3), out)).toBe(false);
    expect(Array.from(x)).toEqual(new Array(16).fill(1));
  });
});
