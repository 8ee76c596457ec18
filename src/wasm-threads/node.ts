/**
 * Node set-up of the WebAssembly gemm (src/core cannot touch node:v8 or node:worker_threads):
 * turns on V8's relaxed-SIMD proposal, which Node 20 ships behind a flag, and registers the
 * factory of the helper thread for the two-thread split. Call once at startup, before the
 * first matrix product (the CLI and the benchmarks do).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { isMainThread, Worker } from "node:worker_threads";
import { setWasmGemmEnabled } from "../core/kernels/gemm.ts";
import { setWasmReductionsEnabled } from "../core/kernels/reductions.ts";
import { setWasmWorkerFactory, type WasmHelperWorker } from "../core/kernels/wasm/threads.ts";
import { wasmRelaxedSimdSupported } from "../core/kernels/wasm/wasm-api.ts";

/**
 * Enables relaxed SIMD for modules compiled from now on (setting V8's flag at run time works
 * on Node 20 / V8 11.3 for compilation after the call; newer Node has it on by default).
 * Returns whether the runtime now validates it. GRADSCOPE_WASM_RELAXED=0 leaves it off.
 */
export function enableNodeWasmRelaxedSimd(): boolean {
  if (process.env.GRADSCOPE_WASM_RELAXED === "0") return false;
  if (!wasmRelaxedSimdSupported()) {
    try {
      setFlagsFromString("--experimental-wasm-relaxed-simd");
    } catch {
      return false;
    }
  }
  return wasmRelaxedSimdSupported();
}

/** The helper script beside this file: .ts when running from source (tsx, vitest), else .js. */
function helperUrl(): URL {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./node-helper${ext}`, import.meta.url);
}

function startHelper(): WasmHelperWorker {
  const url = helperUrl();
  let worker: Worker;
  if (url.pathname.endsWith(".ts")) {
    // From source (tsx, vitest): a worker does not inherit tsx's loader hooks on Node 20, so a
    // small script registers them before importing the helper.
    const api = createRequire(import.meta.url)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs");
    const tsx = pathToFileURL(api).href;
    const code = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(url.href)}); });`;
    worker = new Worker(code, { eval: true, execArgv: [] });
  } else {
    worker = new Worker(url);
  }
  // the helper must never keep the process alive, nor crash it
  worker.unref();
  worker.on("error", () => {});
  return {
    postMessage: (message) => worker.postMessage(message),
    terminate: () => {
      void worker.terminate();
    },
  };
}

/**
 * Registers the helper-thread factory, on the main thread only (a worker of a pool already
 * shares the cores with its siblings). GRADSCOPE_WASM_THREADS=0 leaves it off. Returns whether
 * it registered.
 */
export function enableNodeWasmThreads(): boolean {
  if (!isMainThread || process.env.GRADSCOPE_WASM_THREADS === "0") return false;
  setWasmWorkerFactory(startHelper);
  return true;
}

/**
 * GRADSCOPE_WASM=0: no WebAssembly at all (products, metric reductions and optimizer steps run
 * on the native addon when it is loaded, else in TypeScript; with GRADSCOPE_NATIVE=0 as well,
 * everything is TypeScript). Returns whether WebAssembly stays on.
 */
export function applyNodeWasmSwitch(): boolean {
  const on = process.env.GRADSCOPE_WASM !== "0";
  setWasmGemmEnabled(on);
  setWasmReductionsEnabled(on);
  return on;
}

/** All of the above. */
export function setupNodeWasm(): void {
  if (!applyNodeWasmSwitch()) return;
  enableNodeWasmRelaxedSimd();
  enableNodeWasmThreads();
}
