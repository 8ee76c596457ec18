#!/usr/bin/env node
import { loadNativeKernels } from "../native/native-kernels.ts";
import { setupNodeWasm } from "../wasm-threads/node.ts";
import { main } from "./main.ts";

loadNativeKernels(); // optional native kernels (native/); without them WebAssembly runs

// relaxed SIMD and the wasm gemm's helper thread, before the first matrix product
setupNodeWasm();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
