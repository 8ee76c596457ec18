import type { FloatArray } from "../../dtype.ts";
import { type WasmGemm, wasmGemmInstance } from "./gemm-wasm.ts";
import { align, copyIn, elementSize, OutViews, wasmReductionsEnabled } from "./reductions-wasm.ts";

/**
 * The optimizer steps of src/core/optim (KernelProvider's adamStep and momentumStep, see
 * provider.ts) on the WebAssembly SIMD module (source: the end of gemm.as.ts), for runtimes
 * without the native addon: the browser lab and GRADSCOPE_NATIVE=0 (issue #8). Like the metric
 * reductions (reductions-wasm.ts, whose on/off switch they follow) they run on the gemm
 * loader's instance and memory: each call copies x, g and the float64 state (Adam's moments m,
 * v, or the momentum buffer b) in, runs the kernel, and copies x and the state back. x and the
 * state come out bit for bit as adam.ts's adamStepTs / sgd.ts's momentumStepTs write them; only
 * the order of the float64 sums in `out` differs.
 *
 * Memory layout (bytes) of one call, from 64 KiB like a product's (calls never overlap):
 *   OUT     4 float64 sums          HYPER   8 float64 hyperparameters (at 64)
 *   x, g    n elements each of x's dtype (64-byte aligned)
 *   m, v    n float64 each (Adam), or b: n float64 (momentum with a buffer)
 *
 * Each function returns false, touching nothing, when the kernel is unavailable or switched
 * off, x and g differ in dtype (or are not float32 / float64), an array is shorter than n (or
 * hyper, out than their counts), n is below the crossover (WASM_OPTIM_MIN), or memory cannot
 * grow. In steady state a call allocates nothing (but a subarray when an operand is longer
 * than n).
 */

const BASE = 65536;
const HYPER = BASE + 64;
/** Where the operands start: after the sums and the hyperparameters. */
const OPERANDS = BASE + 128;

/**
 * Below this many elements the TypeScript loops are as fast as copying in and out and calling
 * the kernel. Measured on Node 20, x86-64 (AMD EPYC), float32 and float64 alike: the crossover
 * is ~64 elements for Adam and ~96 for momentum (one threshold for both: Adam loses little
 * between them); at 65536 elements the wasm steps are 2.3-2.5x faster than TypeScript.
 */
export const WASM_OPTIM_MIN = 96;

let minLength = WASM_OPTIM_MIN;

/** Sets the smallest n the steps take (tests use 0); returns the previous. */
export function setWasmOptimMinLength(n: number): number {
  const previous = minLength;
  minLength = n;
  return previous;
}

interface OptimExports {
  adam_step_f32(x: number, g: number, m: number, v: number, n: number, h: number, o: number): void;
  adam_step_f64(x: number, g: number, m: number, v: number, n: number, h: number, o: number): void;
  momentum_step_f32(
    x: number,
    g: number,
    b: number,
    hasB: boolean,
    n: number,
    h: number,
    o: number,
  ): void;
  momentum_step_f64(
    x: number,
    g: number,
    b: number,
    hasB: boolean,
    n: number,
    h: number,
    o: number,
  ): void;
}

/** Views for copying back, one per slot and dtype (a slot's offset follows from n and dtype). */
const back = {
  x32: new OutViews(),
  x64: new OutViews(),
  m32: new OutViews(),
  m64: new OutViews(),
  v32: new OutViews(),
  v64: new OutViews(),
};

/** The kernel to use for n elements, or null (disabled, too small, unavailable). */
function pick(n: number, kernel: WasmGemm | null | undefined): WasmGemm | null {
  if (!wasmReductionsEnabled() || n < minLength) return null;
  return kernel === undefined ? wasmGemmInstance() : kernel;
}

/** A float64 state array of at least n elements. */
const isState = (a: Float64Array, n: number): boolean => a instanceof Float64Array && a.length >= n;

/** Copies hyper[0, count) into the HYPER slot. */
function withHyper(k: WasmGemm, hyper: Float64Array, count: number): void {
  const view = k.viewF64;
  const o = HYPER / 8;
  for (let i = 0; i < count; i++) view[o + i] = hyper[i]!;
}

/** The kernel's sums into out[0, 4). */
function readSums(k: WasmGemm, out: Float64Array): void {
  const r = k.viewF64;
  const o = BASE / 8;
  for (let i = 0; i < 4; i++) out[i] = r[o + i]!;
}

/**
 * One Adam / AdamW step of x[0, n) with moments m, v: adam.ts's adamStepTs (hyper in
 * KernelProvider.adamStep's order, 8 values), out[0, 4) = [sum e, sum e^2, sum x_new, sum
 * x_new^2].
 */
export function wasmAdamStep(
  x: FloatArray,
  g: FloatArray,
  m: Float64Array,
  v: Float64Array,
  n: number,
  hyper: Float64Array,
  out: Float64Array,
  kernel?: WasmGemm | null,
): boolean {
  const k = pick(n, kernel);
  const es = elementSize(x, g);
  if (k === null || es === 0 || x.length < n || g.length < n) return false;
  if (!isState(m, n) || !isState(v, n) || hyper.length < 8 || out.length < 4) return false;
  const offX = OPERANDS;
  const offG = offX + align(n * es);
  const offM = offG + align(n * es);
  const offV = offM + align(n * 8);
  if (!k.reserve(offV + align(n * 8))) return false;
  withHyper(k, hyper, 8);
  const f = k.exports as OptimExports;
  const view64 = k.viewF64;
  copyIn(view64, offM / 8, m, n);
  copyIn(view64, offV / 8, v, n);
  if (es === 8) {
    copyIn(view64, offX / 8, x, n);
    copyIn(view64, offG / 8, g, n);
    f.adam_step_f64(offX, offG, offM, offV, n, HYPER, BASE);
    x.set(back.x64.get(view64, offX / 8, n));
    m.set(back.m64.get(view64, offM / 8, n));
    v.set(back.v64.get(view64, offV / 8, n));
  } else {
    const view32 = k.viewF32;
    copyIn(view32, offX / 4, x, n);
    copyIn(view32, offG / 4, g, n);
    f.adam_step_f32(offX, offG, offM, offV, n, HYPER, BASE);
    x.set(back.x32.get(view32, offX / 4, n));
    m.set(back.m32.get(view64, offM / 8, n));
    v.set(back.v32.get(view64, offV / 8, n));
  }
  readSums(k, out);
  return true;
}

/**
 * One SGD step of x[0, n) with momentum buffer b (null: weight decay only): sgd.ts's
 * momentumStepTs (hyper = [lr, momentum, weight decay, nesterov 0 / 1]), out[0, 4) as
 * wasmAdamStep's.
 */
export function wasmMomentumStep(
  x: FloatArray,
  g: FloatArray,
  b: Float64Array | null,
  n: number,
  hyper: Float64Array,
  out: Float64Array,
  kernel?: WasmGemm | null,
): boolean {
  const k = pick(n, kernel);
  const es = elementSize(x, g);
  if (k === null || es === 0 || x.length < n || g.length < n) return false;
  if ((b !== null && !isState(b, n)) || hyper.length < 4 || out.length < 4) return false;
  const offX = OPERANDS;
  const offG = offX + align(n * es);
  const offB = offG + align(n * es);
  if (!k.reserve(b === null ? offB : offB + align(n * 8))) return false;
  withHyper(k, hyper, 4);
  const f = k.exports as OptimExports;
  const view64 = k.viewF64;
  if (b !== null) copyIn(view64, offB / 8, b, n);
  if (es === 8) {
    copyIn(view64, offX / 8, x, n);
    copyIn(view64, offG / 8, g, n);
    f.momentum_step_f64(offX, offG, offB, b !== null, n, HYPER, BASE);
    x.set(back.x64.get(view64, offX / 8, n));
    if (b !== null) b.set(back.m64.get(view64, offB / 8, n));
  } else {
    const view32 = k.viewF32;
    copyIn(view32, offX / 4, x, n);
    copyIn(view32, offG / 4, g, n);
    f.momentum_step_f32(offX, offG, offB, b !== null, n, HYPER, BASE);
    x.set(back.x32.get(view32, offX / 4, n));
    if (b !== null) b.set(back.m32.get(view64, offB / 8, n));
  }
  readSums(k, out);
  return true;
}
