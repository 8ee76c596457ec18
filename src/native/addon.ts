import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { FloatArray } from "../core/dtype.ts";
import type { KernelProvider } from "../core/kernels/provider.ts";

/**
 * The raw interface of the compiled addon (native/src/addon.c). Every kernel works in place on
 * the caller's typed arrays and returns false (sumSquares: null) when it declines: wrong dtype,
 * mismatched dtypes, sizes beyond an array's length, or an op it does not implement.
 */
export interface NativeAddon {
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
  addRowBias(z: FloatArray, b: FloatArray, rows: number, cols: number): boolean;
  columnSums(x: FloatArray, rows: number, cols: number, out: FloatArray): boolean;
  /** y += alpha x; alpha may come in a Float64Array's first entry (no boxing per call). */
  axpy(alpha: number | Float64Array, x: FloatArray, y: FloatArray, n: number): boolean;
  /** out[0] = sum of x[i]^2 (float64), for i < n. */
  sumSquares(x: FloatArray, n: number, out: Float64Array): boolean;
  /** `code`: ACTIVATION_CODES[name]. */
  activationForward(code: number, u: FloatArray, a: FloatArray, n: number): boolean;
  /** z += b by rows, then a = phi(z), fused (`code`: ACTIVATION_CODES[name]). */
  biasActivationForward(
    code: number,
    z: FloatArray,
    b: FloatArray,
    rows: number,
    cols: number,
    a: FloatArray,
  ): boolean;
  activationBackward(
    code: number,
    u: FloatArray,
    a: FloatArray,
    da: FloatArray,
    du: FloatArray,
    n: number,
  ): boolean;
  /** Metric reductions (native/src/reductions.c); contracts in KernelProvider. */
  moments: ProviderKernel<"moments">;
  activationPass: ProviderKernel<"activationPass">;
  sgdStepSums: ProviderKernel<"sgdStepSums">;
  /** Optimizer updates with their sums (native/src/optim.c); contracts in KernelProvider. */
  adamStep: ProviderKernel<"adamStep">;
  momentumStep: ProviderKernel<"momentumStep">;
  info(): NativeInfo;
  /** Threads products may use (1 = calling thread only); returns the previous count. */
  setThreads(count: number): number;
  /** Restricts the instruction set ("scalar", "avx2", "avx512"); false if the CPU lacks it. */
  setIsa(isa: NativeIsa): boolean;
  /** Products below this many multiply-adds stay on one thread; returns the previous value. */
  setParallelMin(muladds: number): number;
}

/** A KernelProvider method the addon implements with the same signature. */
type ProviderKernel<K extends keyof KernelProvider> = NonNullable<KernelProvider[K]>;

export type NativeIsa = "scalar" | "avx2" | "avx512";

export interface NativeInfo {
  /** The instruction set in use (at most `detectedIsa`). */
  isa: NativeIsa;
  detectedIsa: NativeIsa;
  threads: number;
  parallelMinMuladds: number;
}

/** Activations the addon implements (the codes of native/src/kernels.h). */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = {
  tanh: 1,
  sigmoid: 2,
  relu: 3,
};

/** Where scripts/build-native.mjs leaves the addon (the same from src/native and dist/native). */
export const ADDON_PATH = fileURLToPath(
  new URL("../../native/build/Release/gradscope_native.node", import.meta.url),
);

/** The addon, or the reason it cannot be used (never throws). */
export function requireNativeAddon(path: string = ADDON_PATH): NativeAddon | string {
  if (!existsSync(path)) return `${path} is not built (npm run build:native)`;
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (typeof addon.gemm !== "function") return `${path} is not the gradscope addon`;
    return addon;
  } catch (error) {
    return `${path} failed to load: ${(error as Error).message.split("\n")[0]}`;
  }
}
