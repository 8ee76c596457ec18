import { describe, expect, it } from "vitest";
import {
  describeInit,
  INIT_NAMES,
  type InitName,
  type InitOptions,
  initDense,
  initWeightVariance,
  isInitName,
} from "./init.ts";
import { Mat } from "./mat.ts";
import { Rng } from "./rng.ts";

/** A fresh [out, in] weight and [1, out] bias, initialized from seed. */
function init(
  name: InitName,
  out: number,
  inp: number,
  options: InitOptions = {},
  seed = 1,
  dtype: "f32" | "f64" = "f64",
): { W: Mat; b: Mat } {
  const W = Mat.zeros(out, inp, dtype);
  const b = Mat.zeros(1, out, dtype);
  initDense(W, b, name, options, new Rng(seed));
  return { W, b };
}

interface Moments {
  n: number;
  mean: number;
  /** Sample variance (mean subtracted, n - 1). */
  variance: number;
  /** E[(w - mean)^4] / variance^2: 3 for a normal, 9/5 for a uniform. */
  kurtosis: number;
  maxAbs: number;
}

function moments(data: ArrayLike<number>, n = data.length): Moments {
  let sum = 0;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    sum += data[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(data[i]!));
  }
  const mean = sum / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = data[i]! - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  return { n, mean, variance: m2 / (n - 1), kurtosis: m4 / n / (m2 / n) ** 2, maxAbs };
}

/**
 * Tolerances from the standard errors, at 4 SE (two-sided false alarm 6e-5 per check):
 * - mean: SE = sigma / sqrt(N);
 * - sample variance of i.i.d. entries with kurtosis kappa: SE = sigma^2 sqrt((kappa - 1)/N),
 *   i.e. sigma^2 sqrt(2/N) for a normal and sigma^2 sqrt(0.8/N) for a uniform.
 */
function expectMoments(m: Moments, variance: number, kurtosis: number): void {
  const sigma = Math.sqrt(variance);
  expect(Math.abs(m.mean)).toBeLessThan((4 * sigma) / Math.sqrt(m.n));
  expect(Math.abs(m.variance - variance)).toBeLessThan(
    4 * variance * Math.sqrt((kurtosis - 1) / m.n),
  );
  // The two laws differ by 1.2 in kurtosis; the estimator's SE is ~0.01 (normal: sqrt(24/N))
  // and ~0.005 (uniform), so 0.1 separates them with a wide margin.
  expect(Math.abs(m.kurtosis - kurtosis)).toBeLessThan(0.1);
}

const NORMAL_KURTOSIS = 3;
const UNIFORM_KURTOSIS = 9 / 5;

/** max |G - scale I| for the Gram matrix G = W W^T (`rowsGram`) or W^T W. */
function gramError(W: Mat, rowsGram: boolean, scale: number): number {
  const n = rowsGram ? W.rows : W.cols;
  const len = rowsGram ? W.cols : W.rows;
  const at = (v: number, k: number): number => (rowsGram ? W.get(v, k) : W.get(k, v));
  let worst = 0;
  for (let a = 0; a < n; a++) {
    for (let c = a; c < n; c++) {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += at(a, k) * at(c, k);
      worst = Math.max(worst, Math.abs(dot - (a === c ? scale : 0)));
    }
  }
  return worst;
}

// Textbook definitions, written out independently of init.ts. fan_in = in, fan_out = out.
const WEIGHT_VAR = 1.7;
const SLOPE = 0.2;
const OPTIONS: InitOptions = { weightVar: WEIGHT_VAR, slope: SLOPE };
type Law = { law: "normal"; variance: number } | { law: "uniform"; bound: number };
const textbook: Record<string, (fanIn: number, fanOut: number) => Law> = {
  normal: (fi) => ({ law: "normal", variance: WEIGHT_VAR / fi }),
  uniform: (fi) => ({ law: "uniform", bound: Math.sqrt((3 * WEIGHT_VAR) / fi) }),
  "standard-uniform": (fi) => ({ law: "uniform", bound: 1 / Math.sqrt(fi) }),
  "xavier-uniform": (fi, fo) => ({ law: "uniform", bound: Math.sqrt(6 / (fi + fo)) }),
  "xavier-normal": (fi, fo) => ({ law: "normal", variance: 2 / (fi + fo) }),
  "he-uniform": (fi) => ({ law: "uniform", bound: Math.sqrt(6 / ((1 + SLOPE ** 2) * fi)) }),
  "he-normal": (fi) => ({ law: "normal", variance: 2 / ((1 + SLOPE ** 2) * fi) }),
  "lecun-uniform": (fi) => ({ law: "uniform", bound: Math.sqrt(3 / fi) }),
  "lecun-normal": (fi) => ({ law: "normal", variance: 1 / fi }),
};

describe("entry-wise inits: moments of a 600x400 and a 400x600 matrix (N = 240000)", () => {
  // A different seed per case, so the cases are independent samples (with one seed every normal
  // scheme would just rescale the same standardized draws).
  let seed = 100;
  for (const [name, law] of Object.entries(textbook)) {
    for (const [out, inp] of [
      [600, 400],
      [400, 600],
    ] as const) {
      const caseSeed = seed++;
      it(`${name} [${out}, ${inp}]`, () => {
        if (!isInitName(name)) throw new Error(name);
        const want = law(inp, out);
        const { W, b } = init(name, out, inp, OPTIONS, caseSeed);
        const m = moments(W.data);
        if (want.law === "normal") {
          expectMoments(m, want.variance, NORMAL_KURTOSIS);
          expect(initWeightVariance(name, inp, out, OPTIONS)).toBeCloseTo(want.variance, 15);
        } else {
          const variance = want.bound ** 2 / 3;
          expectMoments(m, variance, UNIFORM_KURTOSIS);
          expect(m.maxAbs).toBeLessThanOrEqual(want.bound * (1 + 1e-15));
          // P(max |w| < (1 - 1e-4) a) = (1 - 1e-4)^N = e^-24: the bound is reached, not undershot.
          expect(m.maxAbs).toBeGreaterThan(want.bound * (1 - 1e-4));
          expect(initWeightVariance(name, inp, out, OPTIONS)).toBeCloseTo(variance, 15);
        }
        expect(Array.from(b.data).every((x) => x === 0)).toBe(true);
      });
    }
  }
});

describe("initWeightVariance", () => {
  it("returns the textbook value for each init (fan_in 400, fan_out 600)", () => {
    const want: Record<InitName, number> = {
      zeros: 0,
      normal: 1.7 / 400,
      uniform: 1.7 / 400,
      "standard-uniform": 1 / 1200,
      "xavier-uniform": 2 / 1000,
      "xavier-normal": 2 / 1000,
      "he-uniform": 2 / (1.04 * 400),
      "he-normal": 2 / (1.04 * 400),
      "lecun-uniform": 1 / 400,
      "lecun-normal": 1 / 400,
      orthogonal: 1.7 / 600,
      identity: 1.7 / 600,
    };
    for (const name of INIT_NAMES) {
      const got = initWeightVariance(name, 400, 600, OPTIONS);
      expect(Math.abs(got - want[name])).toBeLessThanOrEqual(1e-15 * want[name]);
      // gain multiplies it by gain^2
      const gained = initWeightVariance(name, 400, 600, { ...OPTIONS, gain: 3 });
      expect(Math.abs(gained - 9 * want[name])).toBeLessThanOrEqual(1e-14 * want[name]);
    }
  });
  it("uses slope only in he-* (slope 0: 2/fan_in, PyTorch kaiming_normal_ fan_in)", () => {
    expect(initWeightVariance("he-normal", 100, 7)).toBe(0.02);
    expect(initWeightVariance("he-uniform", 100, 7, { slope: 1 })).toBe(0.01);
    expect(initWeightVariance("lecun-normal", 100, 7, { slope: 1 })).toBe(0.01);
  });
  it("orthogonal uses the larger fan: weightVar/fan_in when out <= in", () => {
    expect(initWeightVariance("orthogonal", 50, 20, { weightVar: 2 })).toBe(2 / 50);
    expect(initWeightVariance("orthogonal", 20, 50, { weightVar: 2 })).toBe(2 / 50);
  });
  it("rejects non-positive or fractional fans", () => {
    expect(() => initWeightVariance("normal", 0, 5)).toThrow(
      /^init: fanIn must be a positive integer, got 0$/,
    );
    expect(() => initWeightVariance("normal", 5, 2.5)).toThrow(/fanOut/);
  });
});

describe("gain", () => {
  it("scales every weight exactly by gain, so the variance by gain^2", () => {
    for (const name of ["he-normal", "xavier-uniform", "orthogonal"] as const) {
      const one = init(name, 300, 200, { slope: SLOPE }, 5).W;
      const three = init(name, 300, 200, { slope: SLOPE, gain: 3 }, 5).W;
      expect(Array.from(three.data)).toEqual(Array.from(one.data, (x) => 3 * x));
    }
    // and on the sample: he-normal variance 9 * 2/((1+0.04) 400)
    const m = moments(init("he-normal", 600, 400, { slope: SLOPE, gain: 3 }, 8).W.data);
    expectMoments(m, (9 * 2) / (1.04 * 400), NORMAL_KURTOSIS);
  });
  it("does not touch the biases", () => {
    const a = init("normal", 50, 10, { biasVar: 0.3 }, 4).b;
    const b = init("normal", 50, 10, { biasVar: 0.3, gain: 5 }, 4).b;
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});

describe("orthogonal", () => {
  it("square: W W^T = W^T W = I to 1e-12", () => {
    const { W } = init("orthogonal", 400, 400);
    expect(gramError(W, true, 1)).toBeLessThan(1e-12);
    expect(gramError(W, false, 1)).toBeLessThan(1e-12);
  });
  it("wide (out < in): W W^T = I; tall (out > in): W^T W = I", () => {
    expect(gramError(init("orthogonal", 400, 600).W, true, 1)).toBeLessThan(1e-12);
    expect(gramError(init("orthogonal", 600, 400).W, false, 1)).toBeLessThan(1e-12);
  });
  it("scales by sqrt(weightVar) and gain: Gram = gain^2 weightVar I", () => {
    expect(gramError(init("orthogonal", 300, 300, { weightVar: 2 }).W, true, 2)).toBeLessThan(
      1e-12,
    );
    expect(
      gramError(init("orthogonal", 200, 300, { weightVar: 2, gain: 0.5 }).W, true, 0.5),
    ).toBeLessThan(1e-12);
  });
  it("has mean square exactly initWeightVariance and sample mean ~ 0", () => {
    for (const [out, inp] of [
      [600, 400],
      [400, 600],
    ] as const) {
      const { W } = init("orthogonal", out, inp, { weightVar: 2 }, 3);
      let ss = 0;
      for (const x of W.data) ss += x * x;
      const want = initWeightVariance("orthogonal", inp, out, { weightVar: 2 });
      expect(Math.abs(ss / W.size / want - 1)).toBeLessThan(1e-12);
      // entries are (to O(1/N)) uncorrelated with variance `want`: SE of the mean sqrt(want/N)
      expect(Math.abs(moments(W.data).mean)).toBeLessThan(4 * Math.sqrt(want / W.size));
    }
  });
  it("is Haar: over 4000 draws of a 3x3, every entry is ~U(-1, 1) with mean 0", () => {
    // A column of a Haar-random O(3) matrix is uniform on the sphere S^2, so each entry is
    // U(-1, 1) (Archimedes): mean 0 (SE sqrt(1/3/4000) = 0.0091), E[w^2] = 1/3 (Var w^2 =
    // 1/5 - 1/9, SE 0.0047). Without the sign(diag R) fix, W_00 would always be negative.
    const draws = 4000;
    const sum = new Float64Array(9);
    const sumSq = new Float64Array(9);
    const rng = new Rng(99);
    const W = Mat.zeros(3, 3);
    const b = Mat.zeros(1, 3);
    for (let t = 0; t < draws; t++) {
      initDense(W, b, "orthogonal", {}, rng);
      for (let i = 0; i < 9; i++) {
        sum[i] = sum[i]! + W.data[i]!;
        sumSq[i] = sumSq[i]! + W.data[i]! ** 2;
      }
    }
    for (let i = 0; i < 9; i++) {
      expect(Math.abs(sum[i]! / draws)).toBeLessThan(4 * Math.sqrt(1 / 3 / draws));
      expect(Math.abs(sumSq[i]! / draws - 1 / 3)).toBeLessThan(
        4 * Math.sqrt((1 / 5 - 1 / 9) / draws),
      );
    }
  });
  it("handles 1x1 and vectors (a random sign / a unit vector)", () => {
    expect(Math.abs(init("orthogonal", 1, 1).W.data[0]!)).toBe(1);
    const signs = new Set(
      [1, 2, 3, 4, 5, 6, 7, 8].map((s) => init("orthogonal", 1, 1, {}, s).W.data[0]),
    );
    expect(signs).toEqual(new Set([1, -1]));
    expect(gramError(init("orthogonal", 1, 30).W, true, 1)).toBeLessThan(1e-14);
    expect(gramError(init("orthogonal", 30, 1).W, false, 1)).toBeLessThan(1e-14);
  });
});

describe("identity and zeros", () => {
  it("identity is sqrt(weightVar) gain eye(out, in)", () => {
    expect(init("identity", 3, 3, { weightVar: 4 }).W.toArray()).toEqual([
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
    ]);
    expect(init("identity", 2, 4).W.toArray()).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    expect(init("identity", 3, 2, { weightVar: 9, gain: -1 }).W.toArray()).toEqual([
      [-3, 0],
      [0, -3],
      [0, 0],
    ]);
  });
  it("zeros overwrites previous weights, and neither draws from the rng", () => {
    for (const name of ["zeros", "identity"] as const) {
      const W = Mat.zeros(4, 5).fill(7);
      const b = Mat.zeros(1, 4).fill(7);
      const rng = new Rng(3);
      initDense(W, b, name, {}, rng);
      if (name === "zeros") expect(Array.from(W.data).every((x) => x === 0)).toBe(true);
      expect(Array.from(b.data)).toEqual([0, 0, 0, 0]);
      expect(rng.uniform()).toBe(new Rng(3).uniform());
    }
  });
});

describe("biases", () => {
  it("are N(0, biasVar), not divided by fan_in", () => {
    const { b } = init("xavier-normal", 20000, 50, { biasVar: 0.5 }, 12);
    expectMoments(moments(b.data), 0.5, NORMAL_KURTOSIS); // 4 SE = 4 * 0.5 * sqrt(2/20000) = 0.02
  });
  it("are exactly zero when biasVar is 0, overwriting old values", () => {
    const W = Mat.zeros(3, 2);
    const b = Mat.zeros(1, 3).fill(1);
    initDense(W, b, "normal", { biasVar: 0 }, new Rng(1));
    expect(Array.from(b.data)).toEqual([0, 0, 0]);
  });
});

describe("reproducibility", () => {
  it("same seed -> identical W and b; different seed -> different", () => {
    for (const name of INIT_NAMES) {
      const a = init(name, 30, 20, { biasVar: 0.1 }, 42);
      const b = init(name, 30, 20, { biasVar: 0.1 }, 42);
      const c = init(name, 30, 20, { biasVar: 0.1 }, 43);
      expect(Array.from(b.W.data)).toEqual(Array.from(a.W.data));
      expect(Array.from(b.b.data)).toEqual(Array.from(a.b.data));
      expect(Array.from(c.b.data)).not.toEqual(Array.from(a.b.data));
      if (name !== "zeros" && name !== "identity") {
        expect(Array.from(c.W.data)).not.toEqual(Array.from(a.W.data));
      }
    }
  });
  it("draws W row-major, then b (normal: std * rng.normal(); uniform: a (2u - 1))", () => {
    const { W, b } = init("normal", 3, 4, { weightVar: 2, biasVar: 0.25 }, 17);
    const rng = new Rng(17);
    const std = Math.sqrt(2 / 4);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 4; j++) expect(W.get(i, j)).toBe(std * rng.normal());
    for (let j = 0; j < 3; j++) expect(b.get(0, j)).toBe(0.5 * rng.normal());

    const u = init("lecun-uniform", 2, 3, {}, 18).W;
    const rng2 = new Rng(18);
    const bound = Math.sqrt(3 * (1 / 3));
    for (let k = 0; k < 6; k++) expect(u.data[k]).toBe(bound * (2 * rng2.uniform() - 1));
  });
  it("f32 weights are the f64 draws rounded once", () => {
    for (const name of ["he-uniform", "orthogonal"] as const) {
      const f64 = init(name, 40, 30, { biasVar: 1 }, 6, "f64");
      const f32 = init(name, 40, 30, { biasVar: 1 }, 6, "f32");
      expect(f32.W.data).toBeInstanceOf(Float32Array);
      expect(Array.from(f32.W.data)).toEqual(Array.from(f64.W.data, Math.fround));
      expect(Array.from(f32.b.data)).toEqual(Array.from(f64.b.data, Math.fround));
    }
  });
});

describe("validation", () => {
  const W = Mat.zeros(2, 2);
  const b = Mat.zeros(1, 2);
  const attempt =
    (options: InitOptions, name: InitName = "normal") =>
    () =>
      initDense(W, b, name, options, new Rng(1));
  it("rejects bad options with a one-line RangeError naming the option", () => {
    expect(attempt({ weightVar: -1 })).toThrow(
      new RangeError("init: weightVar must be a finite number >= 0, got -1"),
    );
    expect(attempt({ weightVar: Number.NaN }, "he-normal")).toThrow(/^init: weightVar .* got NaN$/);
    expect(attempt({ biasVar: -0.5 })).toThrow(
      new RangeError("init: biasVar must be a finite number >= 0, got -0.5"),
    );
    expect(attempt({ biasVar: Number.POSITIVE_INFINITY })).toThrow(/^init: biasVar/);
    expect(attempt({ gain: Number.NaN })).toThrow(
      new RangeError("init: gain must be a finite number, got NaN"),
    );
    expect(attempt({ gain: Number.NEGATIVE_INFINITY })).toThrow(/^init: gain .* got -Infinity$/);
    expect(attempt({ slope: Number.NaN }, "he-uniform")).toThrow(/^init: slope/);
    expect(attempt({ weightVar: -1 })).toThrow(RangeError);
  });
  it("accepts the edge values 0 and a negative gain", () => {
    expect(attempt({ weightVar: 0, biasVar: 0, gain: -2 })).not.toThrow();
  });
  it("rejects a bias of the wrong shape", () => {
    expect(() => initDense(Mat.zeros(3, 2), Mat.zeros(1, 2), "normal", {}, new Rng(1))).toThrow(
      new RangeError("initDense: bias must be 1x3 for a 3x2 weight, got 1x2"),
    );
  });
});

describe("names and descriptions", () => {
  it("isInitName accepts exactly INIT_NAMES", () => {
    for (const name of INIT_NAMES) expect(isInitName(name)).toBe(true);
    for (const s of ["", "he", "Xavier-normal", "toString", "kaiming-normal"]) {
      expect(isInitName(s)).toBe(false);
    }
  });
  it("describeInit gives one distinct line per init, starting with its name", () => {
    const lines = INIT_NAMES.map(describeInit);
    expect(lines.map((l) => l.split(": ")[0])).toEqual([...INIT_NAMES]);
    expect(lines.every((l) => !l.includes("\n"))).toBe(true);
    expect(new Set(lines).size).toBe(INIT_NAMES.length);
    expect(describeInit("he-normal")).toBe(
      "he-normal: N(0, 2/((1+slope^2) fan_in)) (He et al. 2015)",
    );
  });
});
