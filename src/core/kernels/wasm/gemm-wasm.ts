import type { FloatArray } from "../../dtype.ts";
import {
  GEMM_WASM_RELAXED,
  GEMM_WASM_RELAXED_SHARED,
  GEMM_WASM_SIMD,
  GEMM_WASM_SIMD_SHARED,
} from "./gemm-wasm.generated.ts";
import { HelperLink, onWasmWorkerFactoryChange, wasmWorkerFactory } from "./threads.ts";
import {
  atomicsWaitAllowed,
  decodeBase64,
  type KernelExports,
  type WasmApi,
  type WasmMemory,
  type WasmModule,
  wasmApi,
  wasmRelaxedSimdSupported,
  wasmSimdSupported,
} from "./wasm-api.ts";

export { setWasmWorkerFactory, type WasmHelperWorker, type WasmWorkerFactory } from "./threads.ts";
export { wasmRelaxedSimdSupported, wasmSimdSupported } from "./wasm-api.ts";

/**
 * Loader for the WebAssembly SIMD matrix-product kernel (source: gemm.as.ts). It picks one of
 * the four embedded builds at first use: relaxed SIMD (fused multiply-add) where the runtime
 * validates it, plain SIMD128 otherwise; on a shared memory with a helper thread where a worker
 * factory is registered (threads.ts) and this thread may block on Atomics.wait, on a memory of
 * its own otherwise. Each product copies A and B into that memory, runs the kernel (split in two
 * blocks of C between this thread and the helper when large enough) and copies C back out; the
 * memory, its typed-array views and the output views are reused, so a call in steady state
 * allocates nothing.
 *
 * Memory layout (bytes), rebuilt for each call's shape:
 *   [0, 64 KiB)  left to the module (the stub runtime keeps no data there today)
 *   C            m * n elements, always at 64 KiB so its output views can be cached by length
 *   A, B         m * k and k * n elements
 *   work         packed panels and an edge tile for this thread: the module's work_bytes()
 *   work 2       the same for the helper thread (shared builds only)
 * The metric reductions of the same module (reductions-wasm.ts) use this memory between
 * products, laid out for each call from 64 KiB too (see there); calls never overlap, so the two
 * layouts share the space.
 */

const PAGE = 65536;
const BASE = PAGE;
/** A shared memory must declare a maximum (the module allows up to 65536 pages). */
const SHARED_MAX_PAGES = 16384; // 1 GiB
/** Cached output views per dtype (keyed by length); cleared when it grows past this. */
const MAX_CACHED_VIEWS = 64;
/**
 * Products with fewer multiply-adds (m n k) run on one thread: below this, waking the helper
 * and packing the shared operand twice cost more than the halved kernel time saves (measured
 * with bench/gemm-bench.ts; see docs/PERFORMANCE.md).
 */
export const WASM_SPLIT_MIN_MULADDS = 1 << 20;
/** Chunk edges are multiples of the micro-tile (MR = 4 rows, NR = 8 float32 columns). */
const ROW_ALIGN = 4;
const COL_ALIGN = 8;
/**
 * A split product is cut into about this many chunks that the two threads claim in turn, so
 * that a helper that starts late (or is descheduled) delays the product by at most a chunk.
 */
const TARGET_CHUNKS = 8;
/** Narrower chunks spend too much of their time re-packing the shared operand. */
const MIN_CHUNK = 32;
/** One eligible product in this many runs the slower way, to keep its timing current. */
const EXPLORE_EVERY = 16;

export interface WasmGemmOptions {
  /** Use the relaxed-SIMD build when the runtime supports it (default true). */
  relaxed: boolean;
  /** Use a helper thread when a worker factory is registered and allowed (default true). */
  threads: boolean;
}

const align = (bytes: number): number => (bytes + 63) & ~63;
const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** One instantiated kernel with its memory (and, for shared builds, its helper thread). */
export class WasmGemm {
  readonly relaxed: boolean;
  readonly shared: boolean;
  calls = 0;
  /** Products split between two threads so far. */
  splitCalls = 0;
  /** Products with fewer multiply-adds stay on one thread (benchmarks lower it to measure). */
  splitMinMuladds = WASM_SPLIT_MIN_MULADDS;
  /**
   * Choose between splitting and one thread by their measured speed (see chooseSplit). Tests
   * turn it off to know that every large product splits.
   */
  adaptiveSplit = true;
  /** Products run on one thread although they could split (adaptive choice). */
  unsplitCalls = 0;
  /** Average milliseconds per multiply-add of eligible products: [one thread, split]. */
  private readonly cost = [0, 0];
  private eligible = 0;
  private readonly memory: WasmMemory;
  private readonly module: WasmModule;
  private readonly kernel: KernelExports;
  private readonly workBytes: number;
  private helper: HelperLink | null = null;
  private buffer: ArrayBuffer | SharedArrayBuffer | null = null;
  private f64: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private f32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private readonly out64 = new Map<number, Float64Array<ArrayBufferLike>>();
  private readonly out32 = new Map<number, Float32Array<ArrayBufferLike>>();

  constructor(api: WasmApi, relaxed: boolean, shared: boolean) {
    this.relaxed = relaxed;
    this.shared = shared;
    const text = shared
      ? relaxed
        ? GEMM_WASM_RELAXED_SHARED
        : GEMM_WASM_SIMD_SHARED
      : relaxed
        ? GEMM_WASM_RELAXED
        : GEMM_WASM_SIMD;
    this.memory = shared
      ? new api.Memory({ initial: 2, maximum: SHARED_MAX_PAGES, shared: true })
      : new api.Memory({ initial: 2 });
    this.module = new api.Module(decodeBase64(text));
    const instance = new api.Instance(this.module, { env: { memory: this.memory } });
    this.kernel = instance.exports as unknown as KernelExports;
    this.workBytes = this.kernel.work_bytes();
  }

  /** "wasm-simd", "wasm-simd relaxed", with " x2" once the helper thread is running. */
  get name(): string {
    return `wasm-simd${this.relaxed ? " relaxed" : ""}${this.threadState() === "ready" ? " x2" : ""}`;
  }

  /** "none" (one-thread build or no factory), "starting", "ready" or "failed". */
  threadState(): "none" | "starting" | "ready" | "failed" {
    return this.helper ? this.helper.state : "none";
  }

  /** Starts the helper thread if this build can have one; resolves true once it is ready. */
  startThreads(timeoutMs = 10_000): Promise<boolean> {
    const link = this.link();
    return link ? link.whenReady(timeoutMs) : Promise.resolve(false);
  }

  /**
   * Whether this product (large enough, helper ready) should split. Splitting only pays when
   * the helper gets a core of its own: on a machine busier than its cores it can be slower
   * than one thread. So both ways are timed: the faster one by its running average runs, and
   * every EXPLORE_EVERY-th eligible product runs the other way to keep its average current.
   */
  private chooseSplit(): boolean {
    if (!this.adaptiveSplit) return true;
    const n = this.eligible++;
    const one = this.cost[0]!;
    const two = this.cost[1]!;
    // measure each way first
    if (two === 0) return true;
    if (one === 0) return false;
    const fasterSplit = two <= one;
    return n % EXPLORE_EVERY === 0 ? !fasterSplit : fasterSplit;
  }

  private record(split: boolean, ms: number, muladds: number): void {
    const i = split ? 1 : 0;
    const c = ms / muladds;
    this.cost[i] = this.cost[i] === 0 ? c : 0.8 * this.cost[i]! + 0.2 * c;
  }

  /** Fraction of the split products' chunks computed by the helper thread (0 without one). */
  helperShare(): number {
    const h = this.helper;
    return h && h.totalChunks > 0 ? 1 - h.mainChunks / h.totalChunks : 0;
  }

  /** Stops the helper thread (products then run on this thread). */
  close(): void {
    this.helper?.stop();
  }

  private link(): HelperLink | null {
    if (!this.shared) return null;
    if (!this.helper) {
      const make = wasmWorkerFactory();
      if (!make) return null;
      try {
        this.helper = new HelperLink(make, this.module, this.memory);
      } catch {
        return null;
      }
    }
    return this.helper;
  }

  /** The instance's exports: the gemm and, for reductions-wasm.ts, the reduction kernels. */
  get exports(): object {
    return this.kernel;
  }

  /**
   * Float64 and float32 views of the whole memory as of the last reserve(); replaced (new
   * objects) whenever the memory grows, so callers that cache views of their own compare these.
   */
  get viewF64(): Float64Array<ArrayBufferLike> {
    return this.f64;
  }
  get viewF32(): Float32Array<ArrayBufferLike> {
    return this.f32;
  }

  /**
   * Grows the memory to at least `bytes` (rebuilding the views); false if the runtime refuses.
   * Public for the reductions, which lay out their operands from byte 64 KiB as products do.
   */
  reserve(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      try {
        this.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch {
        return false;
      }
    }
    if (this.memory.buffer !== this.buffer) {
      // new (or grown: that detaches a plain buffer, and a shared one's old object keeps its
      // old length) buffer: rebuild the views
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
    const split = m * n * k >= this.splitMinMuladds;
    const helper = split ? this.link() : null;
    const offC = BASE;
    const offA = offC + align(lenC * es);
    const offB = offA + align(lenA * es);
    const offWork = offB + align(lenB * es);
    const offWork2 = offWork + align(this.workBytes);
    const end = this.shared ? offWork2 + this.workBytes : offWork + this.workBytes;
    if (!this.reserve(end)) return false;
    const view = es === 8 ? this.f64 : this.f32;
    copyIn(view, offA / es, A, lenA);
    copyIn(view, offB / es, B, lenB);
    if (accumulate) copyIn(view, offC / es, C, lenC);
    const fn = es === 8 ? this.kernel.gemm_f64 : this.kernel.gemm_f32;
    const acc = accumulate ? 1 : 0;
    let done = false;
    const eligible = helper?.ready === true;
    const trySplit = eligible && this.chooseSplit();
    const t0 = eligible ? performance.now() : 0;
    if (helper && trySplit) {
      // Chunks of the dimension whose operand is not shared, so that each chunk packs only its
      // own part of it (columns: B; rows: A) and re-packs the other, smaller, operand.
      const byRows = m > n;
      const extent = byRows ? m : n;
      const unit = byRows ? ROW_ALIGN : COL_ALIGN;
      const chunk = Math.max(MIN_CHUNK, roundUp(Math.ceil(extent / TARGET_CHUNKS), unit));
      const count = Math.ceil(extent / chunk);
      if (count >= 2) {
        done = helper.split(
          this.kernel,
          es,
          m,
          n,
          k,
          offA,
          ars,
          acs,
          offB,
          brs,
          bcs,
          offC,
          accumulate,
          byRows,
          chunk,
          count,
          offWork,
          offWork2,
        );
        if (done) this.splitCalls++;
        else if (accumulate) copyIn(view, offC / es, C, lenC); // C was partly updated
      }
    }
    if (!done) fn(m, n, k, offA, ars, acs, offB, brs, bcs, offC, n, acc, offWork);
    if (eligible) {
      this.record(done, performance.now() - t0, m * n * k);
      if (!done) this.unsplitCalls++;
    }
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

/**
 * A new kernel instance, independent of the default one: the relaxed build only when asked and
 * supported, a shared-memory build only when `threads` and a helper is possible here. Null
 * without SIMD128 or when instantiation fails. For tests and benchmarks.
 */
export function createWasmGemm(options: WasmGemmOptions): WasmGemm | null {
  const api = wasmApi();
  if (!api || !wasmSimdSupported()) return null;
  const relaxed = options.relaxed && wasmRelaxedSimdSupported();
  const shared = options.threads && wasmWorkerFactory() !== null && atomicsWaitAllowed();
  try {
    return new WasmGemm(api, relaxed, shared);
  } catch {
    // e.g. a shared memory refused: fall back to a memory of its own
    if (!shared) return null;
    try {
      return new WasmGemm(api, relaxed, false);
    } catch {
      return null;
    }
  }
}

let options: WasmGemmOptions = { relaxed: true, threads: true };
let instance: WasmGemm | null | undefined;

function reset(): void {
  instance?.close();
  instance = undefined;
}
onWasmWorkerFactoryChange(reset);

function load(): WasmGemm | null {
  if (instance === undefined) instance = createWasmGemm(options);
  return instance;
}

/**
 * Chooses the builds the default kernel may use (benchmarks compare them); the next product
 * re-instantiates it. Returns the previous options.
 */
export function setWasmGemmOptions(next: Partial<WasmGemmOptions>): WasmGemmOptions {
  const previous = options;
  options = { ...options, ...next };
  reset();
  return previous;
}

/** The default kernel instance (instantiated on the first call), or null when unavailable. */
export function wasmGemmInstance(): WasmGemm | null {
  return load();
}

/** True when the SIMD kernel is (or can be) instantiated; compiles it on the first call. */
export function wasmGemmAvailable(): boolean {
  return load() !== null;
}

/**
 * The default kernel's description, e.g. "wasm-simd relaxed x2" (" x2" while its helper thread
 * runs), or null when unavailable.
 */
export function wasmGemmName(): string | null {
  return load()?.name ?? null;
}

/**
 * Starts the default kernel's helper thread now rather than at the first large product (which
 * only starts it: products run on one thread until it is ready). Resolves true once ready;
 * false without a factory, shared memory or Atomics.wait, or on failure.
 */
export function startWasmThreads(timeoutMs?: number): Promise<boolean> {
  const g = load();
  return g ? g.startThreads(timeoutMs) : Promise.resolve(false);
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

/** Products computed by the default SIMD kernel so far (for tests of the dispatcher). */
export function wasmGemmCalls(): number {
  return instance ? instance.calls : 0;
}
