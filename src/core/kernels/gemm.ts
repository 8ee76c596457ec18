import type { FloatArray } from "../dtype.ts";
import { transpose, tsGemmNN, tsGemmNT, tsGemmTN } from "./gemm-ts.ts";
import { kernelProvider } from "./provider.ts";
import { wasmGemm, wasmGemmName } from "./wasm/gemm-wasm.ts";

/**
 * Matrix products for the layers, all row-major and contiguous. Each call tries, in order:
 * the registered kernel provider (provider.ts; in Node the native addon, which reads the arrays
 * in place), the WebAssembly SIMD kernel (wasm/gemm.as.ts) when the runtime supports SIMD128
 * and the product is large enough to repay copying the operands into wasm memory, and finally
 * the pure TypeScript kernels of gemm-ts.ts. A backend that declines (e.g. mixed
 * float32/float64) passes the call on. All give the same products up to round-off (the
 * summation order differs).
 */

export { transpose };

/**
 * "typescript", the wasm kernel's variant ("wasm-simd", "wasm-simd relaxed", with " x2" while
 * its helper thread runs), or the registered provider's name (e.g. "native avx512 x2").
 */
export type GemmBackend =
  | "typescript"
  | "wasm-simd"
  | "wasm-simd relaxed"
  | "wasm-simd x2"
  | "wasm-simd relaxed x2"
  | (string & {});

/**
 * Below this many multiply-adds the TypeScript loop beats the provider's call overhead
 * (measured with the native addon: a call costs about 0.3 us; see docs/ARCHITECTURE.md).
 */
export const PROVIDER_MIN_MULADDS = 512;

/** Below this many multiply-adds (m n k) copying into wasm costs more than it saves. */
export const WASM_MIN_MULADDS = 32768;

let preferred: "auto" | "typescript" = "auto";
let wasmAllowed = true;

/**
 * "auto" (the default) uses the registered provider, then WebAssembly SIMD when available;
 * "typescript" forces the fallback kernels, e.g. to compare them. Returns the previous setting.
 */
export function setGemmBackend(choice: "auto" | "typescript"): "auto" | "typescript" {
  const previous = preferred;
  preferred = choice;
  return previous;
}

/**
 * Lets products use the WebAssembly kernel (true, the default) or not: false leaves the
 * registered provider and then TypeScript (GRADSCOPE_WASM=0 in Node, see
 * wasm-threads/node.ts). Returns the previous setting.
 */
export function setWasmGemmEnabled(on: boolean): boolean {
  const previous = wasmAllowed;
  wasmAllowed = on;
  return previous;
}

/** Whether products may use the WebAssembly kernel (see setWasmGemmEnabled). */
export function wasmGemmEnabled(): boolean {
  return wasmAllowed;
}

/** The kernel that large products run on in this runtime (compiles the wasm on first call). */
export function gemmBackend(): GemmBackend {
  if (preferred !== "auto") return "typescript";
  const provider = kernelProvider();
  if (provider) return provider.name;
  return (wasmAllowed ? wasmGemmName() : null) ?? "typescript";
}

function useWasm(m: number, n: number, k: number): boolean {
  return preferred === "auto" && wasmAllowed && m * n * k >= WASM_MIN_MULADDS;
}

/** The provider's product (same strides as the wasm kernel), or false to fall through. */
function viaProvider(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  ars: number,
  acs: number,
  B: FloatArray,
  brs: number,
  bcs: number,
  C: FloatArray,
  accumulate: boolean,
): boolean {
  if (preferred !== "auto" || m * n * k < PROVIDER_MIN_MULADDS) return false;
  return kernelProvider()?.gemm(m, n, k, A, ars, acs, B, brs, bcs, C, accumulate) === true;
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
  if (viaProvider(m, n, k, A, k, 1, B, 1, k, C, accumulate)) return;
  if (useWasm(m, n, k) && wasmGemm(m, n, k, A, k, 1, B, 1, k, C, accumulate)) return;
  tsGemmNT(m, n, k, A, B, C, accumulate);
}

/**
 * C[m, n] = A[m, k] * B[k, n]. `scratch` (at least k * n elements) is the TypeScript kernel's
 * room for B^T, owned by the caller so no call allocates; the provider and wasm kernels read B in
 * place and leave `scratch` untouched.
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
  if (viaProvider(m, n, k, A, k, 1, B, n, 1, C, false)) return;
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
  if (viaProvider(m, n, k, A, 1, m, B, n, 1, C, false)) return;
  if (useWasm(m, n, k) && wasmGemm(m, n, k, A, 1, m, B, n, 1, C, false)) return;
  tsGemmTN(m, n, k, A, B, C, scratchA, scratchB);
}
