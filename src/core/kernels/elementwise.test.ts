import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getActivation } from "../activations.ts";
import { Rng } from "../rng.ts";
import { addRowBias, axpy, columnSums, sumSquares } from "./elementwise.ts";
import { type KernelProvider, registerKernelProvider } from "./provider.ts";

function randomArray(n: number, seed: number, f32 = false): Float32Array | Float64Array {
  const x = f32 ? new Float32Array(n) : new Float64Array(n);
  new Rng(seed).fillNormal(x);
  return x;
}

// Whatever provider was registered before (none in plain vitest) is put back after each test.
let previous: KernelProvider | null = null;
beforeEach(() => {
  previous = registerKernelProvider(null);
});
afterEach(() => {
  registerKernelProvider(previous);
});

describe("element-wise kernels (TypeScript loops)", () => {
  it("addRowBias adds b to every row", () => {
    const z = Float64Array.from([1, 2, 3, 4, 5, 6]);
    addRowBias(z, Float64Array.from([10, 20, 30]), 2, 3);
    expect(Array.from(z)).toEqual([11, 22, 33, 14, 25, 36]);
  });

  it("columnSums overwrites out with the column sums", () => {
    const out = Float64Array.from([99, 99, 99]);
    columnSums(Float64Array.from([1, 2, 3, 4, 5, 6]), 2, 3, out);
    expect(Array.from(out)).toEqual([5, 7, 9]);
  });

  it("sumSquares matches a float64 sum for every length mod 4, float32 and float64", () => {
    for (const f32 of [false, true]) {
      for (const n of [0, 1, 2, 3, 4, 5, 7, 1001]) {
        const x = randomArray(n, n + 1, f32);
        let ref = 0;
        for (let i = 0; i < n; i++) ref += x[i]! * x[i]!;
        const got = sumSquares(x, n);
        if (n === 0) expect(got).toBe(0);
        else expect(Math.abs(got / ref - 1)).toBeLessThan(1e-14);
      }
    }
    // only the first n entries count
    expect(sumSquares(Float64Array.from([3, 4, 100]), 2)).toBe(25);
  });

  it("axpy is y + alpha x rounded once into y's dtype", () => {
    const x = randomArray(257, 3, true) as Float32Array;
    const y = randomArray(257, 4, true) as Float32Array;
    const want = Float32Array.from(y, (v, i) => v + -0.01 * x[i]!);
    axpy(-0.01, x, y, 257);
    expect(Array.from(y)).toEqual(Array.from(want));
  });
});

describe("KernelProvider dispatch", () => {
  const calls: string[] = [];
  function provider(accept: boolean): KernelProvider {
    return {
      name: "fake",
      gemm: () => false,
      addRowBias: (z) => {
        calls.push("addRowBias");
        if (accept) z[0] = -1;
        return accept;
      },
      columnSums: (_x, _r, _c, out) => {
        calls.push("columnSums");
        if (accept) out.fill(-2);
        return accept;
      },
      sumSquares: (_x, _n, out) => {
        calls.push("sumSquares");
        if (accept) out[0] = -3;
        return accept;
      },
      axpy: (_a, _x, y) => {
        calls.push("axpy");
        if (accept) y[0] = -4;
        return accept;
      },
      activationForward: (name, _u, a) => {
        calls.push(`forward ${name}`);
        if (accept) a[0] = -5;
        return accept;
      },
      activationBackward: (name, _u, _a, _da, du) => {
        calls.push(`backward ${name}`);
        if (accept) du[0] = -6;
        return accept;
      },
    };
  }

  it("uses the provider's result when it accepts", () => {
    calls.length = 0;
    registerKernelProvider(provider(true));
    const z = new Float64Array(4);
    addRowBias(z, new Float64Array(2), 2, 2);
    expect(z[0]).toBe(-1);
    columnSums(new Float64Array(4), 2, 2, z);
    expect(z[0]).toBe(-2);
    expect(sumSquares(Float64Array.from([1, 2]))).toBe(-3);
    axpy(1, new Float64Array(4), z, 4);
    expect(z[0]).toBe(-4);
    const tanh = getActivation("tanh");
    tanh.forward(Float64Array.from([0.5]), z, 1);
    expect(z[0]).toBe(-5);
    tanh.backward(new Float64Array(1), new Float64Array(1), new Float64Array(1), z, 1);
    expect(z[0]).toBe(-6);
    expect(calls).toEqual([
      "addRowBias",
      "columnSums",
      "sumSquares",
      "axpy",
      "forward tanh",
      "backward tanh",
    ]);
  });

  it("falls back to TypeScript when the provider declines", () => {
    calls.length = 0;
    registerKernelProvider(provider(false));
    const z = Float64Array.from([1, 2]);
    addRowBias(z, Float64Array.from([1, 1]), 1, 2);
    expect(Array.from(z)).toEqual([2, 3]);
    expect(sumSquares(Float64Array.from([3, 4]))).toBe(25);
    const a = new Float64Array(1);
    getActivation("tanh").forward(Float64Array.from([0.5]), a, 1);
    expect(a[0]).toBe(Math.tanh(0.5));
    expect(calls).toEqual(["addRowBias", "sumSquares", "forward tanh"]);
  });

  it("never offers leaky ReLU (its name does not carry the slope)", () => {
    calls.length = 0;
    registerKernelProvider(provider(true));
    const a = new Float64Array(1);
    getActivation("leaky-relu", { slope: 0.2 }).forward(Float64Array.from([-1]), a, 1);
    expect(a[0]).toBeCloseTo(-0.2, 15);
    expect(calls).toEqual([]);
  });
});
