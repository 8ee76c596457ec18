/**
 * Worker script of the wasm gemm's helper thread in the browser lab, started by the training
 * worker (wasm-threads.ts) when the page is cross-origin isolated: receives the kernel module,
 * its shared memory and the control block once, then runs jobs for the training worker.
 */
import { isWasmHelperInit, runWasmGemmHelper } from "../core/kernels/wasm/helper.ts";

globalThis.addEventListener(
  "message",
  (event: Event) => {
    const data = (event as MessageEvent<unknown>).data;
    if (isWasmHelperInit(data)) runWasmGemmHelper(data);
  },
  { once: true },
);
