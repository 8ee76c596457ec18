import { afterEach, describe, expect, it, vi } from "vitest";
import { allocate, type DType, type FloatArray } from "../dtype.ts";
import { Rng } from "../rng.ts";
import { gemmBackend, gemmNN, gemmNT, gemmTN, setGemmBackend, WASM_MIN_MULADDS } from "./gemm.ts";
import { tsGemmNN, tsGemmNT, tsGemmTN } from "./gemm-ts.ts";
import { wasmGemm, wasmGemmCalls, wasmSimdSupported } from "./wasm/gemm-wasm.ts";

type Op = "NT" | "NN" | "TN";
const OPS: Op[] = ["NT", "NN", "TN"];

// remainders in every direction; k > 256 and n > 512 cross the kernel's KC / NC blocks and
// m > 128 its MC block
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 4, 4],
  [17, 2, 33],
  [64, 37, 21],
  [130, 129, 65],
  [5, 530, 270],
  [33, 9, 600],
];

/** Operands for C[m, n] = op(A) op(B) in the layout each op reads. */
interface Operands {
  A: FloatArray;
  B: FloatArray;
  /** A(i, p) and B(p, j) whatever the layout */
  a: (i: number, p: number) => number;
  b: (p: number, j: number) => number;
}

function operands(op: Op, m: number, n: number, k: number, dtype: DType, rng: Rng): Operands {
  const A = allocate(dtype, m * k);
  const B = allocate(dtype, k * n);
  rng.fillNormal(A);
  rng.fillNormal(B);
  const a =
    op === "TN" ? (i: number, p: number) => A[p * m + i]! : (i: number, p: number) => A[i * k + p]!;
  const b =
    op === "NT" ? (p: number, j: number) => B[j * k + p]! : (p: number, j: number) => B[p * n + j]!;
  return { A, B, a, b };
}

/** The product in float64, summed in order. */
function naive(m: number, n: number, k: number, x: Operands): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += x.a(i, p) * x.b(p, j);
      c[i * n + j] = s;
    }
  }
  return c;
}

/** max |got - want| / max |want| (float64) or ||got - want|| / ||want|| (float32). */
function relError(got: ArrayLike<number>, want: ArrayLike<number>, dtype: DType): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    const w = Math.abs(want[i]!);
    if (dtype === "f64") {
      num = Math.max(num, d);
      den = Math.max(den, w);
    } else {
      num += d * d;
      den += w * w;
    }
  }
  if (dtype === "f32") {
    num = Math.sqrt(num);
    den = Math.sqrt(den);
  }
  return num / Math.max(den, 1e-300);
}

const tolerance = (dtype: DType): number => (dtype === "f64" ? 1e-12 : 1e-5);

/** The SIMD kernel, called directly (no size threshold) with the strides of each op. */
function viaWasm(
  op: Op,
  m: number,
  n: number,
  k: number,
  x: Operands,
  C: FloatArray,
  accumulate = false,
): void {
  let ok: boolean;
  if (op === "NT") ok = wasmGemm(m, n, k, x.A, k, 1, x.B, 1, k, C, accumulate);
  else if (op === "NN") ok = wasmGemm(m, n, k, x.A, k, 1, x.B, n, 1, C, accumulate);
  else ok = wasmGemm(m, n, k, x.A, 1, m, x.B, n, 1, C, accumulate);
  expect(ok).toBe(true);
}

function viaTs(op: Op, m: number, n: number, k: number, x: Operands, C: FloatArray): void {
  const dtype: DType = C instanceof Float32Array ? "f32" : "f64";
  if (op === "NT") tsGemmNT(m, n, k, x.A, x.B, C);
  else if (op === "NN") tsGemmNN(m, n, k, x.A, x.B, C, allocate(dtype, k * n));
  else tsGemmTN(m, n, k, x.A, x.B, C, allocate(dtype, k * m), allocate(dtype, k * n));
}

function viaDispatch(op: Op, m: number, n: number, k: number, x: Operands, C: FloatArray): void {
  const dtype: DType = C instanceof Float32Array ? "f32" : "f64";
  if (op === "NT") gemmNT(m, n, k, x.A, x.B, C);
  else if (op === "NN") gemmNN(m, n, k, x.A, x.B, C, allocate(dtype, k * n));
  else gemmTN(m, n, k, x.A, x.B, C, allocate(dtype, k * m), allocate(dtype, k * n));
}

afterEach(() => {
  setGemmBackend("auto");
  vi.unstubAllGlobals();
});

describe("WebAssembly SIMD gemm", () => {
  it("is supported and selected on this runtime", () => {
    expect(wasmSimdSupported()).toBe(true);
    expect(gemmBackend()).toMatch(/^wasm-simd/);
  });

  for (const dtype of ["f64", "f32"] as const) {
    for (const op of OPS) {
      for (const [m, n, k] of shapes) {
        it(`${op} ${dtype} ${m}x${n}x${k}: wasm, TypeScript and dispatcher match the naive product`, () => {
          const rng = new Rng(m * 1000003 + n * 1009 + k);
          const x = operands(op, m, n, k, dtype, rng);
          const want = naive(m, n, k, x);
          const tol = tolerance(dtype);

          const cw = allocate(dtype, m * n);
          viaWasm(op, m, n, k, x, cw);
          expect(relError(cw, want, dtype)).toBeLessThan(tol);

          const ct = allocate(dtype, m * n);
          viaTs(op, m, n, k, x, ct);
          expect(relError(ct, want, dtype)).toBeLessThan(tol);
          expect(relError(cw, ct, dtype)).toBeLessThan(tol);

          const cd = allocate(dtype, m * n).fill(Number.NaN);
          viaDispatch(op, m, n, k, x, cd);
          expect(relError(cd, want, dtype)).toBeLessThan(tol);

          // accumulate adds onto what C holds
          const c0 = allocate(dtype, m * n);
          rng.fillNormal(c0);
          const ca = c0.slice();
          viaWasm(op, m, n, k, x, ca, true);
          const wantAcc = want.map((v, i) => v + c0[i]!);
          expect(relError(ca, wantAcc, dtype)).toBeLessThan(tol);
        });
      }
    }
  }

  it("NT accumulate through the public function, on both backends", () => {
    const [m, n, k] = [130, 129, 65];
    for (const backend of ["auto", "typescript"] as const) {
      setGemmBackend(backend);
      const rng = new Rng(3);
      const x = operands("NT", m, n, k, "f64", rng);
      const want = naive(m, n, k, x);
      const C = new Float64Array(m * n);
      gemmNT(m, n, k, x.A, x.B, C);
      gemmNT(m, n, k, x.A, x.B, C, true);
      expect(
        relError(
          C,
          want.map((v) => 2 * v),
          "f64",
        ),
      ).toBeLessThan(1e-12);
    }
  });

  it("an empty inner dimension gives zeros (or leaves C when accumulating)", () => {
    const C = new Float64Array(6).fill(5);
    expect(wasmGemm(2, 3, 0, new Float64Array(0), 0, 1, new Float64Array(0), 1, 0, C, true)).toBe(
      true,
    );
    expect([...C]).toEqual([5, 5, 5, 5, 5, 5]);
    wasmGemm(2, 3, 0, new Float64Array(0), 0, 1, new Float64Array(0), 1, 0, C, false);
    expect([...C]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("survives memory growth between calls and reads only the first m*k / k*n elements", () => {
    const rng = new Rng(11);
    for (const [m, n, k] of [
      [8, 8, 8],
      [600, 600, 40],
      [9, 7, 5],
      [700, 650, 30],
    ] as const) {
      const x = operands("NT", m, n, k, "f64", rng);
      // operands with trailing elements that must be ignored
      const A = new Float64Array(m * k + 3).fill(1e300);
      A.set(x.A);
      const B = new Float64Array(k * n + 5).fill(1e300);
      B.set(x.B);
      const C = new Float64Array(m * n + 2).fill(7);
      expect(wasmGemm(m, n, k, A, k, 1, B, 1, k, C, false)).toBe(true);
      expect(relError(C.subarray(0, m * n), naive(m, n, k, x), "f64")).toBeLessThan(1e-12);
      expect(C[m * n]).toBe(7);
      expect(C[m * n + 1]).toBe(7);
    }
  });

  it("declines operands it cannot take, so the dispatcher falls back to TypeScript", () => {
    const [m, n, k] = [40, 40, 40];
    const rng = new Rng(5);
    const A = new Float32Array(m * k);
    const B = new Float64Array(n * k);
    rng.fillNormal(A);
    rng.fillNormal(B);
    const C = new Float64Array(m * n);
    // mixed element types
    expect(wasmGemm(m, n, k, A, k, 1, B, 1, k, C, false)).toBe(false);
    // too short
    expect(wasmGemm(m, n, k, B.subarray(1), k, 1, B, 1, k, C, false)).toBe(false);
    const before = wasmGemmCalls();
    gemmNT(m, n, k, A, B, C);
    expect(wasmGemmCalls()).toBe(before);
    const want = naive(m, n, k, {
      A,
      B,
      a: (i, p) => A[i * k + p]!,
      b: (p, j) => B[j * k + p]!,
    });
    expect(relError(C, want, "f64")).toBeLessThan(1e-12);
  });

  it("the dispatcher sends large products to wasm and tiny ones to TypeScript", () => {
    const rng = new Rng(9);
    const big: [number, number, number] = [64, 64, 64];
    const tiny: [number, number, number] = [3, 5, 7];
    expect(big[0] * big[1] * big[2]).toBeGreaterThanOrEqual(WASM_MIN_MULADDS);
    expect(tiny[0] * tiny[1] * tiny[2]).toBeLessThan(WASM_MIN_MULADDS);
    for (const op of OPS) {
      for (const dtype of ["f64", "f32"] as const) {
        const [m, n, k] = big;
        const x = operands(op, m, n, k, dtype, rng);
        let before = wasmGemmCalls();
        viaDispatch(op, m, n, k, x, allocate(dtype, m * n));
        expect(wasmGemmCalls()).toBe(before + 1);

        const [tm, tn, tk] = tiny;
        const y = operands(op, tm, tn, tk, dtype, rng);
        before = wasmGemmCalls();
        viaDispatch(op, tm, tn, tk, y, allocate(dtype, tm * tn));
        expect(wasmGemmCalls()).toBe(before);

        setGemmBackend("typescript");
        expect(gemmBackend()).toBe("typescript");
        before = wasmGemmCalls();
        viaDispatch(op, m, n, k, x, allocate(dtype, m * n));
        expect(wasmGemmCalls()).toBe(before);
        setGemmBackend("auto");
      }
    }
  });

  it("the wasm path leaves the TypeScript kernel's scratch untouched", () => {
    const [m, n, k] = [64, 48, 32];
    const rng = new Rng(13);
    const x = operands("TN", m, n, k, "f64", rng);
    const sA = new Float64Array(k * m).fill(3);
    const sB = new Float64Array(k * n).fill(3);
    const C = new Float64Array(m * n);
    gemmTN(m, n, k, x.A, x.B, C, sA, sB);
    expect(sA.every((v) => v === 3) && sB.every((v) => v === 3)).toBe(true);
    expect(relError(C, naive(m, n, k, x), "f64")).toBeLessThan(1e-12);
  });

  for (const [what, stub] of [
    ["without WebAssembly", undefined],
    // a WebAssembly that rejects the SIMD probe module, as a runtime without SIMD128 would
    ["without SIMD", { validate: () => false }],
  ] as const) {
    it(`falls back to TypeScript ${what}`, async () => {
      vi.stubGlobal("WebAssembly", stub);
      vi.resetModules();
      const fresh = await import("./gemm.ts");
      const loader = await import("./wasm/gemm-wasm.ts");
      expect(loader.wasmSimdSupported()).toBe(false);
      expect(fresh.gemmBackend()).toBe("typescript");
      const [m, n, k] = [64, 40, 50];
      const x = operands("NN", m, n, k, "f64", new Rng(17));
      const C = new Float64Array(m * n);
      fresh.gemmNN(m, n, k, x.A, x.B, C, new Float64Array(k * n));
      expect(relError(C, naive(m, n, k, x), "f64")).toBeLessThan(1e-12);
      expect(loader.wasmGemmCalls()).toBe(0);
    });
  }
});
