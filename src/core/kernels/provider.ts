import type { FloatArray } from "../dtype.ts";

/**
 * An optional accelerated kernel set registered from outside src/core (e.g. the Node-only
 * native addon in native/, loaded by src/native/). src/core never loads it itself: it knows no
 * files or platforms, only this interface. With nothing registered every kernel runs on the
 * WebAssembly SIMD gemm (kernels/wasm) or plain TypeScript.
 *
 * Every method works in place on the caller's typed arrays (no copies) and returns false when
 * it declines the call (dtype or size it does not handle), in which case the caller runs its
 * own TypeScript loop. A method must never decline after writing any output.
 *
 * Accuracy contract: float64 results must be what the TypeScript loop computes up to the
 * round-off of a different summation order (the probes' finite-difference and PyTorch-replay
 * tests run in float64); float32 results must agree within float32 tolerance.
 */
export interface KernelProvider {
  /** Shown by benchmarks and `gemmBackend()`, e.g. "native avx512 x2". */
  readonly name: string;
  /**
   * C[m, n] = A B (+ C when `accumulate`), A(i, p) = A[i * ars + p * acs], B(p, j) =
   * B[p * brs + j * bcs]; C row-major. The same strides as the wasm kernel (wasm/gemm.as.ts).
   */
  gemm(
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
  ): boolean;
  /** z[r * cols + j] += b[j] for r < rows, j < cols. */
  addRowBias?(z: FloatArray, b: FloatArray, rows: number, cols: number): boolean;
  /** out[j] = sum over r < rows of x[r * cols + j] (overwrites out). */
  columnSums?(x: FloatArray, rows: number, cols: number, out: FloatArray): boolean;
  /** a[i] = phi(u[i]) for i < n, for the activation `name` (see activations.ts). */
  activationForward?(name: string, u: FloatArray, a: FloatArray, n: number): boolean;
  /** du[i] = da[i] * phi'(u[i]) for i < n; `a` holds phi(u). */
  activationBackward?(
    name: string,
    u: FloatArray,
    a: FloatArray,
    da: FloatArray,
    du: FloatArray,
    n: number,
  ): boolean;
  /** Sum of x[i]^2 for i < n, accumulated in float64, or null when declined. */
  sumSquares?(x: FloatArray, n: number): number | null;
  /** y[i] += alpha * x[i] for i < n (the plain SGD update with alpha = -lr). */
  axpy?(alpha: number, x: FloatArray, y: FloatArray, n: number): boolean;
}

let registered: KernelProvider | null = null;
let enabled = true;

/** Installs (or with null removes) the accelerated kernels. Returns the previous provider. */
export function registerKernelProvider(provider: KernelProvider | null): KernelProvider | null {
  const previous = registered;
  registered = provider;
  return previous;
}

/** Turns the registered provider off and on without unregistering it (benchmarks, tests). */
export function setKernelProviderEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** The provider kernels should try first, or null. */
export function kernelProvider(): KernelProvider | null {
  return enabled ? registered : null;
}
