import { describe, expect, it } from "vitest";
import { getActivation } from "./activations.ts";
import {
  eluForward32,
  fastExp,
  fastExpm1,
  sigmoidForward32,
  swishForward32,
  tanhForward32,
} from "./fast-math.ts";

/** Float32 values in order as integers: the ulp distance of two floats is their difference. */
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
function ordinal(x: number): number {
  f32[0] = x;
  const b = i32[0]!;
  return b < 0 ? -(b & 0x7fffffff) : b;
}

const sigmoidRef = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));

/**
 * A dense grid: 200,000 float32 values spread over [-30, 30] (denser near 0), a log grid from
 * 1e-45 to 1e3 of both signs, every float32 in a window around +-0.5, and the special values.
 */
function grid(): Float32Array {
  const xs: number[] = [];
  for (let i = 0; i <= 200_000; i++) {
    const t = (i / 200_000) * 2 - 1;
    xs.push(Math.sign(t) * Math.abs(t) ** 3 * 30);
  }
  for (let e = -45; e <= 3; e += 0.002) xs.push(10 ** e, -(10 ** e));
  const half = ordinal(0.5);
  for (let k = -3000; k <= 3000; k++) {
    i32[0] = half + k;
    xs.push(f32[0]!, -f32[0]!);
  }
  xs.push(0, -0, 1e-8, -1e-8, 9, 9.01, 9.02, 9.5, 9.6, 20, 20.5, -20.5, 88, 104, 110, 200, -200);
  xs.push(3.4e38, -3.4e38, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN);
  return Float32Array.from(xs);
}

function check(
  name: string,
  kernel: (u: Float32Array, a: Float32Array, n: number) => void,
  exact: (x: number) => number,
): void {
  const u = grid();
  const a = new Float32Array(u.length);
  kernel(u, a, u.length);
  let worst = 0;
  let worstAt = 0;
  for (let i = 0; i < u.length; i++) {
    const want = Math.fround(exact(u[i]!));
    const got = a[i]!;
    if (Number.isNaN(want) || Number.isNaN(got)) {
      expect(Number.isNaN(got), `${name}(${u[i]}) = ${got}, want ${want}`).toBe(Number.isNaN(want));
      continue;
    }
    if (want === 0) expect(Object.is(got, -0), `${name}(${u[i]}) sign`).toBe(Object.is(want, -0));
    const d = Math.abs(ordinal(got) - ordinal(want));
    if (d > worst) {
      worst = d;
      worstAt = u[i]!;
    }
  }
  expect(worst, `${name}: worst ${worst} ulp at ${worstAt}`).toBeLessThanOrEqual(1);
}

describe("fast float32 activations (at most 1 ulp from the float64 value rounded to float32)", () => {
  it("tanh", () => check("tanh", tanhForward32, Math.tanh));
  it("sigmoid", () => check("sigmoid", sigmoidForward32, sigmoidRef));
  it("swish", () => check("swish", swishForward32, (x) => x * sigmoidRef(x)));
  it("elu", () => check("elu", eluForward32, (x) => (x > 0 ? x : Math.expm1(x))));

  it("special values: -0, tiny, saturation, infinities and NaN", () => {
    const u = Float32Array.from([-0, 0, 1e-8, -1e-45, 9.5, -25, Infinity, -Infinity, Number.NaN]);
    const a = new Float32Array(u.length);
    tanhForward32(u, a, u.length);
    expect(Object.is(a[0], -0)).toBe(true);
    expect(Object.is(a[1], 0)).toBe(true);
    expect(a[2]).toBe(Math.fround(1e-8));
    expect(a[3]).toBe(Math.fround(-1e-45));
    expect([a[4], a[5], a[6], a[7]]).toEqual([1, -1, 1, -1]);
    expect(a[8]).toBeNaN();
    sigmoidForward32(u, a, u.length);
    expect([a[0], a[1], a[6], a[7]]).toEqual([0.5, 0.5, 1, 0]);
    expect(a[8]).toBeNaN();
    swishForward32(u, a, u.length);
    expect(a[6]).toBe(Infinity);
    expect(a[7]).toBeNaN(); // -inf * sigmoid(-inf) = -inf * 0, as the float64 definition
  });

  it("fastExp and fastExpm1 are accurate to 1e-9 relative over their range", () => {
    let worst = 0;
    for (let y = -110; y <= 110; y += 0.0137) {
      worst = Math.max(worst, Math.abs(fastExp(y) / Math.exp(y) - 1));
      worst = Math.max(worst, Math.abs(fastExpm1(y) / Math.expm1(y) - 1));
    }
    for (let e = -300; e < 0; e += 0.5) {
      const y = 10 ** e;
      worst = Math.max(worst, Math.abs(fastExpm1(y) / Math.expm1(y) - 1));
      worst = Math.max(worst, Math.abs(fastExpm1(-y) / Math.expm1(-y) - 1));
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it("float64 arrays keep Math.tanh and the exact sigmoid bit for bit", () => {
    const u = new Float64Array(1000);
    for (let i = 0; i < u.length; i++) u[i] = (i - 500) / 37;
    const a = new Float64Array(u.length);
    getActivation("tanh").forward(u, a, u.length);
    for (let i = 0; i < u.length; i++) expect(a[i]).toBe(Math.tanh(u[i]!));
    getActivation("sigmoid").forward(u, a, u.length);
    for (let i = 0; i < u.length; i++) expect(a[i]).toBe(sigmoidRef(u[i]!));
  });

  it("the float32 activations route through the fast kernels (same bits)", () => {
    const u = grid();
    const viaAct = new Float32Array(u.length);
    const direct = new Float32Array(u.length);
    for (const [name, kernel] of [
      ["tanh", tanhForward32],
      ["sigmoid", sigmoidForward32],
      ["swish", swishForward32],
      ["elu", eluForward32],
    ] as const) {
      getActivation(name).forward(u, viaAct, u.length);
      kernel(u, direct, u.length);
      expect(Buffer.from(viaAct.buffer).equals(Buffer.from(direct.buffer)), name).toBe(true);
    }
  });

  it("the fused tanh backward equals phi' stored in du's dtype, then times da (bit for bit)", () => {
    const tanh = getActivation("tanh");
    for (const F of [Float32Array, Float64Array]) {
      const n = 5001;
      const a = new F(n);
      const da = new F(n);
      for (let i = 0; i < n; i++) {
        a[i] = Math.tanh(((i * 7919) % 1000) / 125 - 4);
        da[i] = ((i * 104729) % 997) / 997 - 0.5;
      }
      const fused = new F(n);
      tanh.backward(a, a, da, fused, n);
      const twoPass = new F(n);
      tanh.derivatives(a, a, twoPass, n);
      for (let i = 0; i < n; i++) twoPass[i] = twoPass[i]! * da[i]!;
      expect(Array.from(fused)).toEqual(Array.from(twoPass));
    }
  });
});
