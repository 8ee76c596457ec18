import type { FloatArray } from "../dtype.ts";
import { kernelProvider } from "./provider.ts";
import { wasmAdamStep, wasmMomentumStep } from "./wasm/optim-wasm.ts";
import { wasmActivationPass, wasmMoments, wasmSgdStepSums } from "./wasm/reductions-wasm.ts";

export { setWasmReductionsEnabled } from "./wasm/reductions-wasm.ts";

/**
 * The metric reductions (provider.ts: moments, activationPass, sgdStepSums) and the stateful
 * optimizer steps (adamStep, momentumStep) on the fastest kernel at hand: the registered
 * KernelProvider (the native addon), else the WebAssembly SIMD module (wasm/reductions-wasm.ts,
 * wasm/optim-wasm.ts). Each returns false when neither ran; the caller then runs
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

/** optim/adam.ts's adamStepTs (see KernelProvider.adamStep): x, m, v bit for bit. */
export function adamStepFast(
  x: FloatArray,
  g: FloatArray,
  m: Float64Array,
  v: Float64Array,
  n: number,
  hyper: Float64Array,
  out: Float64Array,
): boolean {
  return (
    kernelProvider()?.adamStep?.(x, g, m, v, n, hyper, out) === true ||
    wasmAdamStep(x, g, m, v, n, hyper, out)
  );
}

/** optim/sgd.ts's momentumStepTs (see KernelProvider.momentumStep): x, b bit for bit. */
export function momentumStepFast(
  x: FloatArray,
  g: FloatArray,
  b: Float64Array | null,
  n: number,
  hyper: Float64Array,
  out: Float64Array,
): boolean {
  return (
    kernelProvider()?.momentumStep?.(x, g, b, n, hyper, out) === true ||
    wasmMomentumStep(x, g, b, n, hyper, out)
  );
}
