/**
 * The slice of the WebAssembly JS API the gemm loader and its helper thread use (this project's
 * TS libs do not declare WebAssembly), and the run-time feature probes.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
export interface WasmModule {
  readonly __wasmModule?: never;
}
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
}

/** This runtime's WebAssembly, read when called so tests can stub the global. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** gemm_f64 / gemm_f32: C[m, n] (+)= A B with strides, C at row stride ldc (see gemm.as.ts). */
export type KernelFn = (
  m: number,
  n: number,
  k: number,
  a: number,
  ars: number,
  acs: number,
  b: number,
  brs: number,
  bcs: number,
  c: number,
  ldc: number,
  accumulate: number,
  work: number,
) => void;

export interface KernelExports {
  work_bytes(): number;
  gemm_f64: KernelFn;
  gemm_f32: KernelFn;
}

/**
 * A module with one function, (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt), that
 * validates only where SIMD128 is supported. Checked before compiling the kernel so that a
 * missing feature reads as "no SIMD", not as an error.
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b,
]);

/**
 * (func (result v128) three times (i32.const 0 i8x16.splat) f32x4.relaxed_madd): validates
 * only where the relaxed-SIMD proposal is on (Chromium >= 114; Node 20 only with
 * --experimental-wasm-relaxed-simd).
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x13, 0x01, 0x11, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x41, 0x00, 0xfd, 0x0f,
  0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x85, 0x02, 0x0b,
]);

function validates(bytes: Uint8Array): boolean {
  try {
    return wasmApi()?.validate(bytes) === true;
  } catch {
    return false;
  }
}

/** True when this runtime has WebAssembly with the SIMD128 proposal. */
export function wasmSimdSupported(): boolean {
  return validates(SIMD_PROBE);
}

/** True when this runtime also has relaxed SIMD (checked on each call: flags can change). */
export function wasmRelaxedSimdSupported(): boolean {
  return wasmSimdSupported() && validates(RELAXED_SIMD_PROBE);
}

/**
 * True when this thread may block on Atomics.wait over a SharedArrayBuffer: Node's main thread
 * and workers, and browser workers of a cross-origin-isolated page (not a page's main thread).
 */
export function atomicsWaitAllowed(): boolean {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics?.wait !== "function") {
    return false;
  }
  try {
    // returns "not-equal" at once where waiting is allowed, throws where it is not
    return Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0) === "not-equal";
  } catch {
    return false;
  }
}

export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
