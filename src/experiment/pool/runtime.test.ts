import { afterEach, describe, expect, it } from "vitest";
import { gemmBackend, setWasmGemmEnabled } from "../../core/kernels/gemm.ts";
import { setWasmReductionsEnabled } from "../../core/kernels/reductions.ts";
import { defineTask, type JobResult, runJobs } from "./index.ts";

const fixtures = new URL("../../../test/fixtures/pool-tasks.ts", import.meta.url).href;
const switches = defineTask<null, { gemm: string; wasmGemm: boolean; reductions: boolean }>(
  fixtures,
  "wasmSwitches",
);

function values<O>(results: JobResult<O>[]): O[] {
  return results.map((r) => {
    if (!r.ok) throw new Error(`job failed: ${r.error.message}`);
    return r.value;
  });
}

describe("worker runtime: WebAssembly off (GRADSCOPE_WASM=0)", () => {
  afterEach(() => {
    setWasmGemmEnabled(true);
    setWasmReductionsEnabled(true);
  });

  it("a worker runs without WebAssembly when its parent does", async () => {
    // no provider is registered in this file: with WebAssembly off the products are TypeScript
    setWasmGemmEnabled(false);
    setWasmReductionsEnabled(false);
    expect(gemmBackend()).toBe("typescript");
    const inWorkers = values(await runJobs(switches, [null, null], { jobs: 2 }));
    expect(inWorkers).toEqual([
      { gemm: "typescript", wasmGemm: false, reductions: false },
      { gemm: "typescript", wasmGemm: false, reductions: false },
    ]);
    setWasmGemmEnabled(true);
    setWasmReductionsEnabled(true);
    const back = values(await runJobs(switches, [null], { jobs: 2 }));
    expect(back[0]!.wasmGemm).toBe(true);
    expect(back[0]!.reductions).toBe(true);
  }, 60_000);
});
