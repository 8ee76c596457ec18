/**
 * Gives the training worker's wasm gemm a helper thread when the page is cross-origin isolated
 * (`gradscope serve` and Vite send COOP/COEP), so shared memory and Atomics.wait are allowed in
 * workers, and the machine has a core to spare for it; otherwise products stay on the training
 * worker's one thread.
 */
import { setWasmWorkerFactory, startWasmThreads } from "../core/kernels/wasm/gemm-wasm.ts";

/**
 * Whether a helper thread can pay: shared memory needs cross-origin isolation, and the page
 * keeps one core busy itself (the main thread draws the live figures, the figure worker renders
 * them), so the training worker and its helper need two more. On a 2-core machine the lab
 * measured 15.8 steps/s with the helper against 22.6 without (W-like run, Chromium, idle
 * machine; bench/wasm-lab-check.ts).
 */
export function helperThreadPays(isolated: boolean, cores: number | undefined): boolean {
  return isolated && (cores ?? 0) >= 3;
}

/** Registers the helper factory and starts the helper when it pays; returns whether it did. */
export function enableWebWasmThreads(): boolean {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  if (!helperThreadPays(isolated, cores)) return false;
  setWasmWorkerFactory(
    () => new Worker(new URL("./gemm-helper.ts", import.meta.url), { type: "module" }),
  );
  // start now, so the helper is ready by the first training steps
  void startWasmThreads();
  return true;
}
