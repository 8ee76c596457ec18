import type { FloatArray } from "../../dtype.ts";
import { type WasmGemm, wasmGemmInstance } from "./gemm-wasm.ts";

/**
 * The metric reductions (KernelProvider's moments, activationPass and sgdStepSums, see
 * provider.ts) on the WebAssembly SIMD module (source: the end of gemm.as.ts), for runtimes
 * without the native addon: the browser lab and GRADSCOPE_NATIVE=0 (issue #8: recording every
 * metric every step costs at most 10% of a step; the scalar TypeScript loops cost ~15%). They
 * run on the gemm loader's instance and memory (gemm-wasm.ts): each call copies its operands in,
 * runs the kernel, reads the results (and, for sgdStepSums, copies the updated x back). Same
 * per-element arithmetic as the TypeScript loops; only the order of the float64 sums differs.
 *
 * Memory layout (bytes) of one call, from 64 KiB like a product's (calls never overlap):
 *   OUT          8 float64 results
 *   x / phi      n elements of the array's dtype (64-byte aligned)
 *   g / u        n elements (activationPass, sgdStepSums)
 *   d            n float64 (activationPass kind 0 only)
 *
 * Each function returns false, touching nothing, when the kernel is unavailable, the dtypes do
 * not suit it (mixed, or not float32 / float64), the arrays are shorter than n (or out than its
 * results), n is below the size where the copies cost more than the SIMD saves
 * (WASM_REDUCTION_MIN), or memory cannot grow. In steady state a call allocates nothing (but a
 * subarray when an operand is longer than n).
 */

/** Where operands start: the gemm loader leaves the first 64 KiB page to the module. */
const BASE = 65536;
/** Results slot, then operands 64-byte aligned. */
const OUT_BYTES = 64;
/**
 * Below this many elements the TypeScript loops are as fast as copying in and calling the
 * kernel. Measured on Node 20, x86-64 (float32): the crossover is ~50 elements for the
 * activation pass, ~64-100 for the SGD step and ~100-128 for moments; at 65536 the wasm
 * kernels are 2.5-4x faster.
 */
export const WASM_REDUCTION_MIN = 128;

interface ReductionExports {
  moments_f32(x: number, n: number, out: number): void;
  moments_f64(x: number, n: number, out: number): void;
  act_pass_f32(
    kind: number,
    pd: number,
    ud: number,
    d: number,
    n: number,
    threshold: number,
    out: number,
  ): number;
  act_pass_f64(
    kind: number,
    pd: number,
    ud: number,
    d: number,
    n: number,
    threshold: number,
    out: number,
  ): number;
  sgd_step_sums_f32(lr: number, x: number, g: number, n: number, out: number): void;
  sgd_step_sums_f64(lr: number, x: number, g: number, n: number, out: number): void;
}

/** bytes rounded up to a multiple of 64 (operands start on cache lines). */
export const align = (bytes: number): number => (bytes + 63) & ~63;

let enabled = true;
let minLength = WASM_REDUCTION_MIN;

/** Turns the wasm reductions off (tests force the TypeScript loops) and on; returns the previous. */
export function setWasmReductionsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Whether the wasm kernels may run (optim-wasm.ts follows the same switch). */
export function wasmReductionsEnabled(): boolean {
  return enabled;
}

/** Sets the smallest n the reductions take (benchmarks and tests use 0); returns the previous. */
export function setWasmReductionMinLength(n: number): number {
  const previous = minLength;
  minLength = n;
  return previous;
}

/** The element size (4 or 8) shared by the arrays, or 0 when they mix or are not float arrays. */
export function elementSize(a: FloatArray, b?: FloatArray): number {
  if (a instanceof Float64Array) return b === undefined || b instanceof Float64Array ? 8 : 0;
  if (a instanceof Float32Array) return b === undefined || b instanceof Float32Array ? 4 : 0;
  return 0;
}

/** Copies src[0, n) into view at element `offset`. */
export function copyIn(view: FloatArray, offset: number, src: FloatArray, n: number): void {
  if (src.length === n) view.set(src, offset);
  else view.set(src.subarray(0, n), offset);
}

/**
 * Output views (one operand's slot, keyed by length: its offset must follow from the length)
 * of one memory buffer, for copying results back without a subarray per call.
 */
export class OutViews {
  private source: FloatArray | null = null;
  private readonly views = new Map<number, FloatArray>();
  get(whole: FloatArray, offset: number, length: number): FloatArray {
    if (whole !== this.source) {
      this.source = whole;
      this.views.clear();
    }
    let v = this.views.get(length);
    if (!v) {
      if (this.views.size >= 64) this.views.clear();
      v = whole.subarray(offset, offset + length);
      this.views.set(length, v);
    }
    return v;
  }
}
const xBack64 = new OutViews();
const xBack32 = new OutViews();

/** The kernel to use for n elements, or null (disabled, too small, unavailable). */
function pick(n: number, kernel: WasmGemm | null | undefined): WasmGemm | null {
  if (!enabled || n < minLength) return null;
  return kernel === undefined ? wasmGemmInstance() : kernel;
}

const fns = (k: WasmGemm): ReductionExports => k.exports as ReductionExports;

/** out[0, 3) = [sum x, sum x^2, smallest nonzero |x| (Infinity if none)] of x[0, n). */
export function wasmMoments(
  x: FloatArray,
  n: number,
  out: Float64Array,
  kernel?: WasmGemm | null,
): boolean {
  const k = pick(n, kernel);
  const es = elementSize(x);
  if (k === null || es === 0 || x.length < n || out.length < 3) return false;
  const offX = BASE + OUT_BYTES;
  if (!k.reserve(offX + align(n * es))) return false;
  const f = fns(k);
  if (es === 8) {
    copyIn(k.viewF64, offX / 8, x, n);
    f.moments_f64(offX, n, BASE);
  } else {
    copyIn(k.viewF32, offX / 4, x, n);
    f.moments_f32(offX, n, BASE);
  }
  const r = k.viewF64;
  const o = BASE / 8;
  out[0] = r[o]!;
  out[1] = r[o + 1]!;
  out[2] = r[o + 2]!;
  return true;
}

/**
 * probe/layer-metrics.ts's activation pass: out[0, 5) = [count phi' == 0, count phi' <
 * threshold, sum phi, sum phi^2, sum u^2], phi' computed from phi (kind 1 tanh, 2 sigmoid) or
 * read from d (kind 0).
 */
export function wasmActivationPass(
  kind: number,
  phi: FloatArray,
  u: FloatArray,
  d: Float64Array,
  n: number,
  threshold: number,
  out: Float64Array,
  kernel?: WasmGemm | null,
): boolean {
  const k = pick(n, kernel);
  const es = elementSize(phi, u);
  if (k === null || es === 0 || phi.length < n || u.length < n || out.length < 5) return false;
  if (kind !== 0 && kind !== 1 && kind !== 2) return false;
  if (kind === 0 && d.length < n) return false;
  const offP = BASE + OUT_BYTES;
  const offU = offP + align(n * es);
  const offD = offU + align(n * es);
  if (!k.reserve(kind === 0 ? offD + n * 8 : offD)) return false;
  const f = fns(k);
  if (kind === 0) copyIn(k.viewF64, offD / 8, d, n);
  if (es === 8) {
    const view = k.viewF64;
    copyIn(view, offP / 8, phi, n);
    copyIn(view, offU / 8, u, n);
    f.act_pass_f64(kind, offP, offU, offD, n, threshold, BASE);
  } else {
    const view = k.viewF32;
    copyIn(view, offP / 4, phi, n);
    copyIn(view, offU / 4, u, n);
    f.act_pass_f32(kind, offP, offU, offD, n, threshold, BASE);
  }
  const r = k.viewF64;
  const o = BASE / 8;
  for (let i = 0; i < 5; i++) out[i] = r[o + i]!;
  return true;
}

/**
 * Plain SGD x[j] -= lr g[j] (float64, rounded once to x's dtype) for j < n, with optim/sgd.ts's
 * sums: out[0, 4) = [sum e, sum e^2, sum x after, sum (x after)^2], e[j] = (x[j] after - before)
 * - (the update of x[0]).
 */
export function wasmSgdStepSums(
  lr: number,
  x: FloatArray,
  g: FloatArray,
  n: number,
  out: Float64Array,
  kernel?: WasmGemm | null,
): boolean {
  const k = pick(n, kernel);
  const es = elementSize(x, g);
  if (k === null || es === 0 || x.length < n || g.length < n || out.length < 4) return false;
  const offX = BASE + OUT_BYTES;
  const offG = offX + align(n * es);
  if (!k.reserve(offG + align(n * es))) return false;
  const f = fns(k);
  if (es === 8) {
    const view = k.viewF64;
    copyIn(view, offX / 8, x, n);
    copyIn(view, offG / 8, g, n);
    f.sgd_step_sums_f64(lr, offX, offG, n, BASE);
    x.set(xBack64.get(view, offX / 8, n));
  } else {
    const view = k.viewF32;
    copyIn(view, offX / 4, x, n);
    copyIn(view, offG / 4, g, n);
    f.sgd_step_sums_f32(lr, offX, offG, n, BASE);
    x.set(xBack32.get(view, offX / 4, n));
  }
  const r = k.viewF64;
  const o = BASE / 8;
  for (let i = 0; i < 4; i++) out[i] = r[o + i]!;
  return true;
}
