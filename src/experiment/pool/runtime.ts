/**
 * The process-wide kernel choices a worker must share with its parent, or a sweep's numbers
 * would depend on --jobs: the gemm backend (native, wasm SIMD or TypeScript sum in different
 * orders), whether WebAssembly may run at all (GRADSCOPE_WASM=0), the native addon (its own
 * summation order and branch-free activations), and relaxed SIMD (fused multiply-adds round
 * differently).
 */
import { setGemmBackend, setWasmGemmEnabled, wasmGemmEnabled } from "../../core/kernels/gemm.ts";
import { kernelProvider } from "../../core/kernels/provider.ts";
import { setWasmReductionsEnabled } from "../../core/kernels/reductions.ts";
import { wasmReductionsEnabled } from "../../core/kernels/wasm/reductions-wasm.ts";
import { wasmRelaxedSimdSupported } from "../../core/kernels/wasm/wasm-api.ts";
import { loadNativeKernels } from "../../native/native-kernels.ts";
import { enableNodeWasmRelaxedSimd } from "../../wasm-threads/node.ts";

export interface RuntimeSnapshot {
  gemm: "auto" | "typescript";
  /** Products may use the WebAssembly kernel (false under GRADSCOPE_WASM=0). */
  wasmGemm: boolean;
  /** Metric reductions and optimizer steps may use WebAssembly. */
  wasmReductions: boolean;
  relaxedSimd: boolean;
  /** The parent runs on the native addon (registered and enabled). */
  native: boolean;
}

export function snapshotRuntime(): RuntimeSnapshot {
  // setGemmBackend returns the previous choice: read it and put it back
  const gemm = setGemmBackend("auto");
  setGemmBackend(gemm);
  const native = kernelProvider()?.name.startsWith("native ") === true;
  return {
    gemm,
    wasmGemm: wasmGemmEnabled(),
    wasmReductions: wasmReductionsEnabled(),
    relaxedSimd: wasmRelaxedSimdSupported(),
    native,
  };
}

export function applyRuntime(snapshot: RuntimeSnapshot): void {
  setGemmBackend(snapshot.gemm);
  setWasmGemmEnabled(snapshot.wasmGemm);
  setWasmReductionsEnabled(snapshot.wasmReductions);
  if (snapshot.relaxedSimd) enableNodeWasmRelaxedSimd();
  if (snapshot.native) {
    // The addon's thread count and instruction set are process-wide, so they already match
    // the parent's; only the registration is per thread. Its worker pool serves one caller
    // at a time and runs the others on their own thread: the sums are the same either way.
    const status = loadNativeKernels();
    if (!status.loaded) {
      throw new Error(`pool worker could not load the native kernels: ${status.reason}`);
    }
  }
}
