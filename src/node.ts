/**
 * gradscope in Node: the library of index.ts with the fastest kernels this install has. The
 * native kernels (native/, built at install when a compiler is there) are loaded and the
 * WebAssembly ones set up (relaxed SIMD, the helper thread) on import, as the CLI does, so
 * `import ... from "gradscope"` computes at the CLI's speed and gives the CLI's numbers.
 * GRADSCOPE_NATIVE=0 opts out of the native kernels. Browsers and bundlers get index.ts
 * (package.json's "exports" picks this file only under the "node" condition).
 */
import { loadNativeKernels } from "./native/native-kernels.ts";
import { setupNodeWasm } from "./wasm-threads/node.ts";

/** What the import found: the native kernels loaded, or why not (WebAssembly then runs). */
export const nativeKernels = loadNativeKernels();
setupNodeWasm();

export { gemmBackend } from "./core/kernels/gemm.ts";
export * from "./index.ts";
export { loadNativeKernels, type NativeStatus } from "./native/native-kernels.ts";
