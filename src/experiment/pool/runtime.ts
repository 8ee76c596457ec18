/**
 * The process-wide kernel choices a worker must share with its parent, or a sweep's numbers
 * would depend on --jobs: the gemm backend (wasm SIMD or TypeScript sum in different orders)
 * and relaxed SIMD (fused multiply-adds round differently).
 */
import { setGemmBackend } from "../../core/kernels/gemm.ts";
import { wasmRelaxedSimdSupported } from "../../core/kernels/wasm/wasm-api.ts";
import { enableNodeWasmRelaxedSimd } from "../../wasm-threads/node.ts";

export interface RuntimeSnapshot {
  gemm: "auto" | "typescript";
  relaxedSimd: boolean;
}

export function snapshotRuntime(): RuntimeSnapshot {
  // setGemmBackend returns the previous choice: read it and put it back
  const gemm = setGemmBackend("auto");
  setGemmBackend(gemm);
  return { gemm, relaxedSimd: wasmRelaxedSimdSupported() };
}

export function applyRuntime(snapshot: RuntimeSnapshot): void {
  setGemmBackend(snapshot.gemm);
  if (snapshot.relaxedSimd) enableNodeWasmRelaxedSimd();
}
