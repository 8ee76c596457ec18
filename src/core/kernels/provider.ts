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
  /**
   * z[r * cols + j] += b[j], then a = phi(z) over the rows x cols entries, in one pass (bit for
   * bit addRowBias followed by activationForward).
   */
  biasActivationForward?(
    name: string,
    z: FloatArray,
    b: FloatArray,
    rows: number,
    cols: number,
    a: FloatArray,
  ): boolean;
  /** du[i] = da[i] * phi'(u[i]) for i < n; `a` holds phi(u). */
  activationBackward?(
    name: string,
    u: FloatArray,
    a: FloatArray,
    da: FloatArray,
    du: FloatArray,
    n: number,
  ): boolean;
  /**
   * out[0] = sum of x[i]^2 for i < n, accumulated in float64; false when declined. (Through
   * `out`, not returned: a number-or-null result is a heap allocation on every call.)
   */
  sumSquares?(x: FloatArray, n: number, out: Float64Array): boolean;
  /** y[i] += alpha * x[i] for i < n (the plain SGD update with alpha = -lr). */
  axpy?(alpha: number, x: FloatArray, y: FloatArray, n: number): boolean;
  /**
   * Metric reductions (recording every step, issues #3 and #8), all accumulated in float64 with
   * NaN and Inf propagating into the sums as in the TypeScript loops:
   * out[0] = sum x[i], out[1] = sum x[i]^2, out[2] = the smallest nonzero |x[i]| (Infinity when
   * there is none; NaN entries may be skipped: they already make the sums NaN), for i < n.
   */
  moments?(x: FloatArray, n: number, out: Float64Array): boolean;
  /**
   * The activation pass of probe/layer-metrics.ts: v = phi'(u[i]) is 1 - phi^2 (kind 1, tanh),
   * phi (1 - phi) (kind 2, sigmoid), in float64 from the stored phi, or d[i] (kind 0).
   * out = [count v == 0, count v < threshold, sum phi, sum phi^2, sum u^2] over i < n.
   */
  activationPass?(
    kind: number,
    phi: FloatArray,
    u: FloatArray,
    d: Float64Array,
    n: number,
    threshold: number,
    out: Float64Array,
  ): boolean;
  /**
   * Plain SGD with the statistics of the applied update: x[j] = x[j] - lr g[j] (float64, rounded
   * once on store), e[j] = (x[j] after - before) - e0 with e0 the update of x[0]; out[0] = sum
   * e[j], out[1] = sum e[j]^2 (the shifted sums of optim/sgd.ts, for shiftedStd), out[2] = sum
   * of x[j] after, out[3] = sum of x[j]^2 after.
   */
  sgdStepSums?(lr: number, x: FloatArray, g: FloatArray, n: number, out: Float64Array): boolean;
  /**
   * One Adam / AdamW step of x[0..n) (optim/adam.ts's loop, operation for operation, so x, m
   * and v come out bit for bit as TypeScript's), hyper = [w1 = 1 - beta1, beta2, w2 = 1 - beta2,
   * eps, stepSize, sqrt(1 - beta2^t), l2, decay]; out as sgdStepSums' (update sums, then sums
   * of the new x).
   */
  adamStep?(
    x: FloatArray,
    g: FloatArray,
    m: Float64Array,
    v: Float64Array,
    n: number,
    hyper: Float64Array,
    out: Float64Array,
  ): boolean;
  /**
   * One SGD step with momentum buffer b (null: weight decay only) as optim/sgd.ts's loop,
   * bit for bit; hyper = [lr, momentum, weightDecay, nesterov ? 1 : 0]; out as sgdStepSums'.
   */
  momentumStep?(
    x: FloatArray,
    g: FloatArray,
    b: Float64Array | null,
    n: number,
    hyper: Float64Array,
    out: Float64Array,
  ): boolean;
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
