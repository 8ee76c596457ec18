import type { FloatArray } from "../../dtype.ts";
import { GEMM_WASM_BASE64 } from "./gemm-wasm.generated.ts";

/**
 * Loader for the WebAssembly SIMD matrix-product kernel (source: gemm.as.ts). The module is
 * compiled synchronously from the embedded bytes on first use, with a memory this module owns.
 * Each product copies A and B into that memory, runs the kernel and copies C back out; the
 * memory, its typed-array views and the output views are reused, so a call in steady state
 * allocates nothing.
 *
 * Memory layout (bytes), rebuilt for each call's shape:
 *   [0, 64 KiB)  left to the module (the stub runtime keeps no data there today)
 *   C            m * n elements, always at 64 KiB so its output views can be cached by length
 *   A, B         m * k and k * n elements
 *   work         packed panels and an edge tile: the module's work_bytes()
 */

type KernelFn = (
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
  accumulate: number,
  work: number,
) => void;

/** The slice of the WebAssembly JS API used here (this project's TS libs do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface KernelExports {
  work_bytes(): number;
  gemm_f64: KernelFn;
  gemm_f32: KernelFn;
}

const PAGE = 65536;
const BASE = PAGE;
/** Cached output views per dtype (keyed by length); cleared when it grows past this. */
const MAX_CACHED_VIEWS = 64;

/**
 * A module with one function, (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt), that
 * validates only where SIMD128 is supported. Checked before compiling the kernel so that a
 * missing feature reads as "no SIMD", not as an error.
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b,
]);

/** True when this runtime has WebAssembly with the SIMD128 proposal. */
export function wasmSimdSupported(): boolean {
  try {
    return wasm?.validate(SIMD_PROBE) === true;
  } catch {
    return false;
  }
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const align = (bytes: number): number => (bytes + 63) & ~63;

class WasmGemm {
  readonly memory: WasmMemory;
  readonly kernel: KernelExports;
  readonly workBytes: number;
  calls = 0;
  private buffer: ArrayBuffer | null = null;
  private f64 = new Float64Array(0);
  private f32 = new Float32Array(0);
  private readonly out64 = new Map<number, Float64Array>();
  private readonly out32 = new Map<number, Float32Array>();

  constructor(api: WasmApi, bytes: Uint8Array) {
    this.memory = new api.Memory({ initial: 2 });
    const module = new api.Module(bytes);
    const instance = new api.Instance(module, { env: { memory: this.memory } });
    this.kernel = instance.exports as unknown as KernelExports;
    this.workBytes = this.kernel.work_bytes();
  }

  /** Grows the memory to at least `bytes`; false if the runtime refuses. */
  private reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      try {
        this.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch {
        return false;
      }
    }
    if (this.memory.buffer !== this.buffer) {
      // new (or grown, which detaches the old) buffer: rebuild the views
      const buffer = this.memory.buffer;
      this.buffer = buffer;
      this.f64 = new Float64Array(buffer);
      this.f32 = new Float32Array(buffer);
      this.out64.clear();
      this.out32.clear();
    }
    return true;
  }

  /**
   * C[m, n] = A B (+ C), with A(i, p) = A[i * ars + p * acs] and B(p, j) = B[p * brs + j * bcs].
   * Returns false, leaving C untouched, when the operands do not suit the kernel (mixed or
   * unknown element types, arrays shorter than the shapes) or memory cannot grow.
   */
  run(
    m: number,
    n: number,
    k: number,
    A: FloatArray,
    ars: number,
    acs: number,
    B: FloatArray,
    brs: number,
    bcs: number,
    C: FloatArray,
    accumulate: boolean,
  ): boolean {
    const lenA = m * k;
    const lenB = k * n;
    const lenC = m * n;
    if (A.length < lenA || B.length < lenB || C.length < lenC) return false;
    let es: number;
    if (A instanceof Float64Array && B instanceof Float64Array && C instanceof Float64Array) {
      es = 8;
    } else if (
      A instanceof Float32Array &&
      B instanceof Float32Array &&
      C instanceof Float32Array
    ) {
      es = 4;
    } else {
      return false;
    }
    const offC = BASE;
    const offA = offC + align(lenC * es);
    const offB = offA + align(lenA * es);
    const offWork = offB + align(lenB * es);
    if (!this.reserve(offWork + this.workBytes)) return false;
    const view = es === 8 ? this.f64 : this.f32;
    copyIn(view, offA / es, A, lenA);
    copyIn(view, offB / es, B, lenB);
    if (accumulate) copyIn(view, offC / es, C, lenC);
    const fn = es === 8 ? this.kernel.gemm_f64 : this.kernel.gemm_f32;
    fn(m, n, k, offA, ars, acs, offB, brs, bcs, offC, accumulate ? 1 : 0, offWork);
    C.set(this.outView(es, lenC));
    this.calls++;
    return true;
  }

  /** The first `length` elements of C's slot, as a cached view. */
  private outView(es: number, length: number): FloatArray {
    const buffer = this.buffer!;
    if (es === 8) {
      let v = this.out64.get(length);
      if (!v) {
        if (this.out64.size >= MAX_CACHED_VIEWS) this.out64.clear();
        v = new Float64Array(buffer, BASE, length);
        this.out64.set(length, v);
      }
      return v;
    }
    let v = this.out32.get(length);
    if (!v) {
      if (this.out32.size >= MAX_CACHED_VIEWS) this.out32.clear();
      v = new Float32Array(buffer, BASE, length);
      this.out32.set(length, v);
    }
    return v;
  }
}

/** Copies src[0, length) into view at element `offset` (whole-array copies allocate nothing). */
function copyIn(view: FloatArray, offset: number, src: FloatArray, length: number): void {
  if (src.length === length) view.set(src, offset);
  else view.set(src.subarray(0, length), offset);
}

let instance: WasmGemm | null | undefined;

function load(): WasmGemm | null {
  if (instance === undefined) {
    instance = null;
    if (wasm && wasmSimdSupported()) {
      try {
        instance = new WasmGemm(wasm, decodeBase64(GEMM_WASM_BASE64));
      } catch {
        instance = null;
      }
    }
  }
  return instance;
}

/** True when the SIMD kernel is (or can be) instantiated; compiles it on the first call. */
export function wasmGemmAvailable(): boolean {
  return load() !== null;
}

/**
 * Runs C[m, n] = A B (+ C) on the SIMD kernel (strides as in gemm.as.ts). Returns false when
 * the kernel is unavailable or unsuitable for these arrays; the caller then uses TypeScript.
 */
export function wasmGemm(
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  ars: number,
  acs: number,
  B: FloatArray,
  brs: number,
  bcs: number,
  C: FloatArray,
  accumulate: boolean,
): boolean {
  const g = load();
  return g?.run(m, n, k, A, ars, acs, B, brs, bcs, C, accumulate) === true;
}

/** Products computed by the SIMD kernel so far (for tests of the dispatcher). */
export function wasmGemmCalls(): number {
  return instance ? instance.calls : 0;
}
