/**
 * Worker-thread script of the two-thread wasm gemm in Node (started by ./node.ts): receives
 * the module, shared memory and control block once, then runs jobs until told to stop.
 */
import { parentPort } from "node:worker_threads";
import { isWasmHelperInit, runWasmGemmHelper } from "../core/kernels/wasm/helper.ts";

parentPort?.once("message", (data: unknown) => {
  if (isWasmHelperInit(data)) runWasmGemmHelper(data);
  parentPort?.close();
});
