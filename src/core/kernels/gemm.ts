import type { FloatArray } from "../dtype.ts";
import { transpose, tsGemmNN, tsGemmNT, tsGemmTN } from "./gemm-ts.ts";
import { wasmGemm, wasmGemmAvailable } from "./wasm/gemm-wasm.ts";

/**
 * Matrix products for the layers, all row-major and contiguous. Each call runs on the
 * WebAssembly SIMD kernel (wasm/gemm.as.ts) when the runtime supports SIMD128 and the product
 * is large enough to repay copying the operands into wasm memory; otherwise, or when the arrays
 * do not suit it (mixed float32/float64), on the pure TypeScript kernels of gemm-ts.ts. Both
 * give the same products up to round-off (the summation order differs).
 */

export { transpose };

export type GemmBackend = "wasm-simd" | "typescript";

/** Below this many multiply-adds (m n k) copying into wasm costs more than it saves. */
export const WASM_MIN_MULADDS = 32768;

let preferred: "auto" | "typescript" = "auto";

/**
 * "auto" (the default) uses WebAssembly SIMD when available; "typescript" forces the fallback
 * kernels, e.g. to compare the two. Returns the previous setting.
 */
export function setGemmBackend(choice: "auto" | "typescript"): "auto" | "typescript" {
  const previous = preferred;
  preferred = choice;
  return previous;
}

/** The kernel that large products run on in this runtime (compiles the wasm on first call). */
export function gemmBackend(): GemmBackend {
  return preferred === "auto" && wasmGemmAvailable() ? "wasm-simd" : "typescript";
}

function useWasm(m: number, n: number, k: number): boolean {
  return preferred === "auto" && m * n * k >= WASM_MIN_MULADDS;
}

/**
 * C[m, n] = A[m, k] * B[n, k]^T (+ C when `accumulate`). The layers' forward product: every
 * entry is a dot product of two contiguous rows.
 */
export function gemmNT(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  accumulate = false,
): void {
  if (useWasm(m, n, k) && wasmGemm(m, n, k, A, k, 1, B, 1, k, C, accumulate)) return;
  tsGemmNT(m, n, k, A, B, C, accumulate);
}

/**
 * C[m, n] = A[m, k] * B[k, n]. `scratch` (at least k * n elements) is the TypeScript kernel's
 * room for B^T, owned by the caller so no call allocates; the wasm kernel reads B in place and
 * leaves `scratch` untouched.
 */
export function gemmNN(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  scratch: FloatArray,
): void {
  if (useWasm(m, n, k) && wasmGemm(m, n, k, A, k, 1, B, n, 1, C, false)) return;
  tsGemmNN(m, n, k, A, B, C, scratch);
}

/**
 * C[m, n] = A[k, m]^T * B[k, n]. `scratchA` (k * m) and `scratchB` (k * n) are the TypeScript
 * kernel's room for the transposes; the wasm kernel reads A and B in place and leaves them
 * untouched.
 */
export function gemmTN(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  scratchA: FloatArray,
  scratchB: FloatArray,
): void {
  if (useWasm(m, n, k) && wasmGemm(m, n, k, A, 1, m, B, n, 1, C, false)) return;
  tsGemmTN(m, n, k, A, B, C, scratchA, scratchB);
}
