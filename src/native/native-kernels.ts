import { type KernelProvider, registerKernelProvider } from "../core/kernels/provider.ts";
import { ACTIVATION_CODES, type NativeAddon, requireNativeAddon } from "./addon.ts";

/**
 * Node-only loader of the native kernels (native/, built by `npm run build:native`). It wraps
 * the addon as a KernelProvider and registers it, so src/core's products and element-wise loops
 * run on it; without the addon (not built, other platform, GRADSCOPE_NATIVE=0) nothing is
 * registered and everything runs on WebAssembly / TypeScript as before.
 */

export type NativeStatus =
  | { readonly loaded: true; readonly name: string; readonly addon: NativeAddon }
  | { readonly loaded: false; readonly reason: string };

/** Wraps the addon: the provider's name follows the addon's current ISA and thread count. */
export function nativeProvider(addon: NativeAddon): KernelProvider {
  return {
    get name(): string {
      const info = addon.info();
      return `native ${info.isa} x${info.threads}`;
    },
    gemm: (m, n, k, A, ars, acs, B, brs, bcs, C, accumulate) =>
      addon.gemm(m, n, k, A, ars, acs, B, brs, bcs, C, accumulate),
    addRowBias: (z, b, rows, cols) => addon.addRowBias(z, b, rows, cols),
    columnSums: (x, rows, cols, out) => addon.columnSums(x, rows, cols, out),
    activationForward: (name, u, a, n) => {
      const code = ACTIVATION_CODES[name];
      return code !== undefined && addon.activationForward(code, u, a, n);
    },
    biasActivationForward: (name, z, b, rows, cols, a) => {
      const code = ACTIVATION_CODES[name];
      return code !== undefined && addon.biasActivationForward(code, z, b, rows, cols, a);
    },
    activationBackward: (name, u, a, da, du, n) => {
      const code = ACTIVATION_CODES[name];
      return code !== undefined && addon.activationBackward(code, u, a, da, du, n);
    },
    sumSquares: (x, n, out) => addon.sumSquares(x, n, out),
    axpy: (alpha, x, y, n) => {
      alphaBox[0] = alpha;
      return addon.axpy(alphaBox, x, y, n);
    },
    moments: (x, n, out) => addon.moments(x, n, out),
    activationPass: (kind, phi, u, d, n, threshold, out) =>
      addon.activationPass(kind, phi, u, d, n, threshold, out),
    sgdStepSums: (lr, x, g, n, out) => addon.sgdStepSums(lr, x, g, n, out),
    adamStep: (x, g, m, v, n, hyper, out) => addon.adamStep(x, g, m, v, n, hyper, out),
    momentumStep: (x, g, b, n, hyper, out) => addon.momentumStep(x, g, b, n, hyper, out),
  };
}

/** axpy's alpha, passed in an array: a double argument to the addon is boxed on every call. */
const alphaBox = new Float64Array(1);

let status: NativeStatus | null = null;

/**
 * Loads and registers the native kernels once (later calls return the first status). Never
 * throws: a missing or broken addon yields { loaded: false, reason }.
 */
export function loadNativeKernels(): NativeStatus {
  if (status) return status;
  if (process.env.GRADSCOPE_NATIVE === "0") {
    status = { loaded: false, reason: "disabled by GRADSCOPE_NATIVE=0" };
    return status;
  }
  const addon = requireNativeAddon();
  if (typeof addon === "string") {
    status = { loaded: false, reason: addon };
    return status;
  }
  const provider = nativeProvider(addon);
  registerKernelProvider(provider);
  status = { loaded: true, name: provider.name, addon };
  return status;
}
