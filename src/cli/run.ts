#!/usr/bin/env node
import { loadNativeKernels } from "../native/native-kernels.ts";
import { main } from "./main.ts";

loadNativeKernels(); // optional native kernels (native/); without them WebAssembly runs

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
