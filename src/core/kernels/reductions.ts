import type { FloatArray } from "../dtype.ts";
import { kernelProvider } from "./provider.ts";
import { wasmActivationPass, wasmMoments, wasmSgdStepSums } from "./wasm/reductions-wasm.ts";

export { setWasmReductionsEnabled } from "./wasm/reductions-wasm.ts";

/**
 * The metric reductions (provider.ts: moments, activationPass, sgdStepSums) on the fastest
 * kernel at hand: the registered KernelProvider (the native addon), else the WebAssembly SIMD
 * module (wasm/reductions-wasm.ts). Each returns false when neither ran; the caller then runs
 * its TypeScript loop. setKernelProviderEnabled(false) skips only the provider;
 * setWasmReductionsEnabled(false) skips only the wasm module.
 */

/** out = [sum x, sum x^2, smallest nonzero |x| (Infinity if none)] of x[0, n). */
export function momentsFast(x: FloatArray, n: number, out: Float64Array): boolean {
  return kernelProvider()?.moments?.(x, n, out) === true || wasmMoments(x, n, out);
}

/** probe/layer-metrics.ts's activation pass (see KernelProvider.activationPass). */
export function activationPassFast(
  kind: number,
  phi: FloatArray,
  u: FloatArray,
  d: Float64Array,
  n: number,
  threshold: number,
  out: Float64Array,
): boolean {
  return (
    kernelProvider()?.activationPass?.(kind, phi, u, d, n, threshold, out) === true ||
    wasmActivationPass(kind, phi, u, d, n, threshold, out)
  );
}

/** Plain SGD step with optim/sgd.ts's sums (see KernelProvider.sgdStepSums). */
export function sgdStepSumsFast(
  lr: number,
  x: FloatArray,
  g: FloatArray,
  n: number,
  out: Float64Array,
): boolean {
  return (
    kernelProvider()?.sgdStepSums?.(lr, x, g, n, out) === true || wasmSgdStepSums(lr, x, g, n, out)
  );
}
