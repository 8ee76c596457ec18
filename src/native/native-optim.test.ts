/**
 * The native optimizer steps (native/src/optim.c) against the TypeScript loops of
 * src/core/optim: parameters, Adam's moments and the momentum buffer bit for bit, the update
 * and weight sums within the summation error bound, on every instruction set this CPU runs, at
 * lengths that exercise the vector body, the tail and the chunked two-thread split.
 */
import { afterAll, describe, expect, it } from "vitest";
import { adamStepTs } from "../core/optim/adam.ts";
import { momentumStepTs } from "../core/optim/sgd.ts";
import { ADAM_CASES, adamHyper, expectStepSums, sampleArray } from "../core/testing/optim-cases.ts";
import { expectSameValues as expectSame } from "../core/testing/summation.ts";
import { addonForTests, supportedIsas } from "./test-addon.ts";

const addon = addonForTests();
const LENGTHS = [1, 7, 8, 9, 17, 1000, 40_001, 100_003];

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
            const hyper = adamHyper(c);
            const x = sampleArray(f32, n, n);
            const g = sampleArray(f32, n, n + 1, 0.1);
            const m = Float64Array.from(sampleArray(false, n, n + 2, 0.01));
            const v = Float64Array.from(sampleArray(false, n, n + 3, 0.001)).map(Math.abs);
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
            expectStepSums(got, want, n, x, `n=${n}`);
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
            const x = sampleArray(f32, n, 2 * n);
            const g = sampleArray(f32, n, 2 * n + 1, 0.1);
            const b = mu === 0 ? null : Float64Array.from(sampleArray(false, n, 2 * n + 2, 0.1));
            const [x2, b2] = [x.slice(), b?.slice() ?? null];
            const got = new Float64Array(4);
            const want = new Float64Array(4);
            expect(addon.momentumStep(x, g, b, n, hyper, got)).toBe(true);
            momentumStepTs(x2, g, b2, n, hyper, want);
            expectSame(x, x2, `mu ${mu} wd ${wd} n=${n} x`);
            if (b && b2) expectSame(b, b2, `mu ${mu} n=${n} b`);
            expectStepSums(got, want, n, x, `n=${n}`);
          }
      });
    }

  it("NaN and Inf in the gradient propagate as in TypeScript", () => {
    addon.setIsa(initial.detectedIsa);
    const n = 24;
    const hyper = Float64Array.of(0.1, 0.999, 0.001, 1e-8, 0.01, Math.sqrt(0.001), 0, 1);
    const x = sampleArray(true, n, 1);
    const g = sampleArray(true, n, 2);
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
      const x = sampleArray(true, n, 5);
      const [m, v] = [new Float64Array(n), new Float64Array(n)];
      const out = new Float64Array(4);
      addon.adamStep(x, sampleArray(true, n, 6), m, v, n, hyper, out);
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
