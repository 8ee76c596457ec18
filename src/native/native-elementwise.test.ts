/**
 * The native element-wise kernels against the TypeScript loops they replace: bit for bit where
 * the addon promises it (bias, column sums, axpy, relu, every backward), within 1 float32 ulp of
 * Math.tanh / the sigmoid formula for the vectorized forward passes, NaN and Inf included.
 */
import { afterAll, describe, expect, it } from "vitest";
import { getActivation } from "../core/activations.ts";
import type { FloatArray } from "../core/dtype.ts";
import { Rng } from "../core/rng.ts";
import { ACTIVATION_CODES } from "./addon.ts";
import { addonForTests, supportedIsas } from "./test-addon.ts";

const addon = addonForTests();

const SPECIALS = [
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e-40,
  -3e-39,
];

function sample(f32: boolean, length: number, seed: number, scale = 3): FloatArray {
  const x = f32 ? new Float32Array(length) : new Float64Array(length);
  new Rng(seed).fillNormal(x);
  for (let i = 0; i < length; i++) x[i] = x[i]! * scale;
  SPECIALS.forEach((v, i) => {
    if (i * 13 < length) x[i * 13] = v;
  });
  return x;
}

/** Same values, NaN equal to NaN, -0 distinct from 0. */
function expectIdentical(got: FloatArray, want: FloatArray, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i]))
      expect(`${what}[${i}] = ${got[i]}`).toBe(`${what}[${i}] = ${want[i]}`);
}

/** Distance in float32 units in the last place (0 for equal values, both NaN, or +0 and -0). */
function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b))
    return Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.POSITIVE_INFINITY;
  const bits = new Int32Array(new Float32Array([a, b]).buffer);
  const key = (v: number): number => (v < 0 ? -(v & 0x7fffffff) : v); // monotone in the value
  return Math.abs(key(bits[0]!) - key(bits[1]!));
}

/** Dense grid over [-lo, lo] plus tiny magnitudes (down to subnormals), huge ones and specials. */
function grid(lo: number): Float32Array {
  const xs: number[] = [];
  for (let x = -lo; x <= lo; x += 1 / 4096) xs.push(x);
  for (let e = -149; e <= 0; e += 0.25) xs.push(2 ** e, -(2 ** e));
  xs.push(9.01, 9.5, 10, 20, 88, 89, 104, 110, 1e10, 3e38, ...SPECIALS);
  const half = xs.length;
  for (let i = 0; i < half; i++) xs.push(-xs[i]!);
  return new Float32Array(xs);
}

describe.skipIf(addon === null)("native element-wise kernels", () => {
  if (!addon) return;
  const initial = addon.info();
  afterAll(() => addon.setIsa(initial.isa));

  for (const f32 of [true, false]) {
    const dtype = f32 ? "float32" : "float64";
    it(`${dtype}: addRowBias, columnSums and axpy match the TypeScript loops bit for bit`, () => {
      const [rows, cols] = [37, 45];
      const z = sample(f32, rows * cols, 1);
      const b = sample(f32, cols, 2);
      const want = z.slice();
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < cols; j++) want[r * cols + j] = want[r * cols + j]! + b[j]!;
      expect(addon.addRowBias(z, b, rows, cols)).toBe(true);
      expectIdentical(z, want, "addRowBias");

      const sums = sample(f32, cols, 3); // overwritten
      const wantSums = f32 ? new Float32Array(cols) : new Float64Array(cols);
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < cols; j++) wantSums[j] = wantSums[j]! + z[r * cols + j]!;
      expect(addon.columnSums(z, rows, cols, sums)).toBe(true);
      expectIdentical(sums, wantSums, "columnSums");

      const lr = 0.0123;
      const y = sample(f32, 1000, 4);
      const d = sample(f32, 1000, 5);
      const wantY = y.slice();
      for (let i = 0; i < 999; i++) wantY[i] = wantY[i]! - lr * d[i]!; // the SGD loop; n = 999
      const y2 = y.slice();
      expect(addon.axpy(-lr, d, y, 999)).toBe(true);
      expectIdentical(y, wantY, "axpy");
      expect(addon.axpy(Float64Array.of(-lr), d, y2, 999)).toBe(true); // alpha in an array
      expectIdentical(y2, wantY, "axpy, boxed alpha");
    });

    it(`${dtype}: sumSquares accumulates in float64`, () => {
      const x = sample(f32, 10_001, 6).map((v) => (Number.isFinite(v) ? v : 1));
      const out = new Float64Array(1);
      const sum = (n: number): number => {
        expect(addon.sumSquares(x, n, out)).toBe(true);
        return out[0]!;
      };
      let want = 0;
      for (let i = 0; i < 10_000; i++) want += x[i]! * x[i]!;
      expect(Math.abs(sum(10_000) - want) / want).toBeLessThan(1e-13); // float32 sums: ~1e-5 off
      x[77] = Number.POSITIVE_INFINITY;
      expect(sum(10_000)).toBe(Number.POSITIVE_INFINITY);
      x[78] = Number.NaN;
      expect(sum(10_000)).toBeNaN();
      let prefix = 0; // n counts, not the array's length
      for (let i = 0; i < 10; i++) prefix += x[i]! * x[i]!;
      expect(Math.abs(sum(10) - prefix) / prefix).toBeLessThan(1e-15);
    });

    it(`${dtype}: relu forward and backward match the TypeScript activation bit for bit`, () => {
      const relu = getActivation("relu");
      const n = 501;
      const u = sample(f32, n, 7);
      const da = sample(f32, n, 8);
      da[13] = Number.POSITIVE_INFINITY; // u[13] = -0: 0 * Inf = NaN in both
      const a = u.slice().fill(9);
      const want = a.slice();
      relu.forward(u, want, n);
      expect(addon.activationForward(ACTIVATION_CODES.relu!, u, a, n)).toBe(true);
      expectIdentical(a, want, "relu");
      const du = u.slice();
      const wantDu = u.slice();
      relu.backward(u, want, da, wantDu, n);
      expect(addon.activationBackward(ACTIVATION_CODES.relu!, u, a, da, du, n)).toBe(true);
      expectIdentical(du, wantDu, "relu'");
    });
  }

  it("float64 tanh and sigmoid are declined (they stay exactly Math.tanh / Math.exp)", () => {
    const u = new Float64Array(8);
    for (const name of ["tanh", "sigmoid"]) {
      expect(addon.activationForward(ACTIVATION_CODES[name]!, u, u.slice(), 8)).toBe(false);
      expect(addon.activationBackward(ACTIVATION_CODES[name]!, u, u, u, u.slice(), 8)).toBe(false);
    }
    expect(addon.activationForward(99, new Float32Array(4), new Float32Array(4), 4)).toBe(false);
  });

  for (const isa of supportedIsas(addon))
    for (const name of ["tanh", "sigmoid"] as const)
      it(`${isa}: float32 ${name} within 1 ulp of the TypeScript forward, backward bit for bit`, () => {
        expect(addon.setIsa(isa)).toBe(true);
        const act = getActivation(name);
        const u = grid(name === "tanh" ? 12 : 40);
        const n = u.length;
        const a = new Float32Array(n);
        const want = new Float32Array(n);
        act.forward(u, want, n);
        expect(addon.activationForward(ACTIVATION_CODES[name]!, u, a, n)).toBe(true);
        let worst = 0;
        let at = 0;
        for (let i = 0; i < n; i++) {
          const d = ulps(a[i]!, want[i]!);
          if (d > worst) [worst, at] = [d, i];
        }
        expect(worst, `worst at x = ${u[at]}: ${a[at]} vs ${want[at]}`).toBeLessThanOrEqual(1);
        for (const x of [0, -0]) {
          const out = new Float32Array(8); // the vector path, not only the scalar tail
          addon.activationForward(ACTIVATION_CODES[name]!, new Float32Array(8).fill(x), out, 8);
          expect(Object.is(out[3], name === "tanh" ? x : 0.5)).toBe(true);
        }

        const da = sample(true, n, 9);
        const du = new Float32Array(n);
        const wantDu = new Float32Array(n);
        act.backward(u, want, da, wantDu, n);
        expect(addon.activationBackward(ACTIVATION_CODES[name]!, u, want, da, du, n)).toBe(true);
        expectIdentical(du, wantDu, `${name}'`);
      });

  it("long tanh / sigmoid arrays split over threads give the one-thread result", () => {
    addon.setIsa(initial.detectedIsa);
    const u = sample(true, 100_003, 10, 4);
    for (const name of ["tanh", "sigmoid"]) {
      const one = new Float32Array(u.length);
      const two = new Float32Array(u.length);
      addon.setThreads(1);
      addon.activationForward(ACTIVATION_CODES[name]!, u, one, u.length);
      addon.setThreads(3);
      addon.activationForward(ACTIVATION_CODES[name]!, u, two, u.length);
      expectIdentical(two, one, name);
    }
    addon.setThreads(initial.threads);
  });

  it("bias + activation fused equals addRowBias then activationForward, for any thread count", () => {
    addon.setIsa(initial.detectedIsa);
    for (const [rows, cols] of [
      [3, 5],
      [128, 256],
      [97, 401],
    ] as const)
      for (const name of ["tanh", "sigmoid", "relu"]) {
        const code = ACTIVATION_CODES[name]!;
        const z0 = sample(true, rows * cols, rows + cols, 4);
        const b = sample(true, cols, 3);
        const wantZ = z0.slice();
        const wantA = new Float32Array(rows * cols);
        expect(addon.addRowBias(wantZ, b, rows, cols)).toBe(true);
        expect(addon.activationForward(code, wantZ, wantA, rows * cols)).toBe(true);
        for (const threads of [1, 2, 3]) {
          addon.setThreads(threads);
          const z = z0.slice();
          const a = new Float32Array(rows * cols);
          expect(addon.biasActivationForward(code, z, b, rows, cols, a)).toBe(true);
          expectIdentical(z, wantZ, `${name} ${rows}x${cols} u`);
          expectIdentical(a, wantA, `${name} ${rows}x${cols} phi (${threads} threads)`);
        }
        addon.setThreads(initial.threads);
      }
    // float64: relu only (tanh and sigmoid stay Math.tanh / Math.exp)
    const z = new Float64Array(6).fill(-1);
    expect(
      addon.biasActivationForward(ACTIVATION_CODES.tanh!, z, new Float64Array(3), 2, 3, z.slice()),
    ).toBe(false);
    expect(Array.from(z)).toEqual(new Array(6).fill(-1));
    const a = new Float64Array(6);
    expect(
      addon.biasActivationForward(ACTIVATION_CODES.relu!, z, Float64Array.of(2, 0, 0.5), 2, 3, a),
    ).toBe(true);
    expect(Array.from(a)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(
      addon.biasActivationForward(
        1,
        new Float32Array(6),
        new Float32Array(2),
        2,
        3,
        new Float32Array(6),
      ),
    ).toBe(false);
  });

  it("declines mismatched dtypes and lengths without writing", () => {
    const z = new Float32Array(6).fill(1);
    expect(addon.addRowBias(z, new Float64Array(3), 2, 3)).toBe(false);
    expect(addon.addRowBias(z, new Float32Array(3), 3, 3)).toBe(false);
    expect(addon.axpy(1, new Float32Array(5), z, 6)).toBe(false);
    expect(addon.axpy(new Float64Array(0), new Float32Array(6), z, 6)).toBe(false);
    expect(addon.columnSums(z, 2, 3, new Float32Array(2))).toBe(false);
    expect(addon.sumSquares(z, 7, new Float64Array(1))).toBe(false);
    expect(addon.sumSquares(z, 6, new Float64Array(0))).toBe(false);
    expect(Array.from(z)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
