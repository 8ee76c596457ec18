#!/usr/bin/env node
import { loadNativeKernels } from "../native/native-kernels.ts";
import { setupNodeWasm } from "../wasm-threads/node.ts";
import { main } from "./main.ts";

// A reader that stops early (`gradscope probe | head`) closes the pipe: that is the reader's
// choice, not an error; stop quietly as other Unix tools do instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

loadNativeKernels(); // optional native kernels (native/); without them WebAssembly runs

// relaxed SIMD and the wasm gemm's helper thread, before the first matrix product
setupNodeWasm();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
