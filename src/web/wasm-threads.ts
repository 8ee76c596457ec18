/**
 * Gives the training worker's wasm gemm a helper thread when the page is cross-origin isolated
 * (`gradscope serve` and Vite send COOP/COEP), so shared memory and Atomics.wait are allowed in
 * workers; otherwise products stay on the training worker's one thread.
 */
import { setWasmWorkerFactory, startWasmThreads } from "../core/kernels/wasm/gemm-wasm.ts";

/** Registers the helper factory and starts the helper; returns whether it could. */
export function enableWebWasmThreads(): boolean {
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) return false;
  setWasmWorkerFactory(
    () => new Worker(new URL("./gemm-helper.ts", import.meta.url), { type: "module" }),
  );
  // start now, so the helper is ready by the first training steps
  void startWasmThreads();
  return true;
}
