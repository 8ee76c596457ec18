import type { ActivationName } from "../../core/activations.ts";
import { gemmNT } from "../../core/kernels/gemm.ts";
import { householderQr } from "../../core/linalg/qr.ts";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { jacobiSvd } from "../../theory/jacobian/jacobi-svd.ts";
import { type Phase, theoryReport } from "../../theory/mean-field.ts";
import type { FloatTensor } from "./safetensors.ts";

/**
 * What a checkpoint's weights say about gradient flow before any data is seen: each weight
 * matrix's scale as the mean-field sigma_w^2 = fan_in Var(W) (with its bias's sigma_b^2), what
 * mean-field theory predicts for the layer at that scale (chi1, phase), its largest singular
 * values and its stable rank.
 */
export interface LayerInspection {
  name: string;
  shape: number[];
  /** Inputs per output unit: in (Linear) or in * kh * kw (Conv). */
  fanIn: number;
  fanOut: number;
  /** Mean of the weights. */
  mean: number;
  /** fan_in Var(W) (population variance): the mean-field weight variance. */
  weightVar: number;
  /** Mean square of the matching bias (`<prefix>.bias`), 0 without one. */
  biasVar: number;
  /** Mean-field chi1 at (activation, weightVar, biasVar); NaN when theory fails. */
  chi1: number;
  phase: Phase | "unknown";
  /** Largest singular values of W as [fanOut, fanIn], descending. */
  singularValues: number[];
  /** ||W||_F^2 / ||W||_2^2: how many directions carry the weight's energy. */
  stableRank: number;
  /** Non-finite entries. */
  nonfinite: number;
}

export interface WeightsInspection {
  activation: ActivationName;
  layers: LayerInspection[];
  /**
   * The product of chi1 over the layers (inputs to outputs, the first left out as the verdict
   * does): the mean-field change of E[(dL/dz)^2] across the stack at these scales.
   */
  predictedSpan: number;
  /** Tensors that are not weight matrices (biases, norms, embeddings of rank 1) by name. */
  other: string[];
}

/**
 * Matrices whose smaller side is at most this get an exact one-sided Jacobi SVD (its cost grows
 * with the smaller side squared times the larger); larger ones subspace iteration.
 */
const EXACT_SVD = 256;
const SUBSPACE_ITERATIONS = 30;

function meanVar(a: Float64Array): { mean: number; variance: number; nonfinite: number } {
  let n = 0;
  let s = 0;
  let bad = 0;
  for (const v of a) {
    if (Number.isFinite(v)) {
      n++;
      s += v;
    } else bad++;
  }
  const mean = n > 0 ? s / n : Number.NaN;
  let ss = 0;
  for (const v of a) if (Number.isFinite(v)) ss += (v - mean) ** 2;
  return { mean, variance: n > 0 ? ss / n : Number.NaN, nonfinite: bad };
}

function transpose(rows: number, cols: number, a: Float64Array): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/**
 * The k largest singular values of the [m, n] row-major matrix A: exact (one-sided Jacobi) when
 * the smaller side is at most 256, else subspace iteration on A^T A with k + 4 vectors, 30
 * rounds, then the singular values of the small projected matrix (Rayleigh-Ritz): exact to
 * round-off for a spectrum with gaps, about 1e-3 relative for a random matrix's clustered top.
 */
export function topSingularValues(m: number, n: number, a: Float64Array, k: number): number[] {
  const r = Math.min(m, n);
  if (r === 0) return [];
  if (r <= EXACT_SVD) {
    return [...jacobiSvd(new Mat(m, n, Float64Array.from(a))).S.slice(0, k)];
  }
  const p = Math.min(r, k + 4);
  const rng = new Rng(0x5eed);
  let vt: Float64Array = new Float64Array(p * n); // rows: the current right vectors
  for (let i = 0; i < vt.length; i++) vt[i] = rng.normal();
  const at = transpose(m, n, a); // [n, m]
  const y = new Float64Array(m * p);
  const z = new Float64Array(n * p);
  for (let it = 0; it < SUBSPACE_ITERATIONS; it++) {
    gemmNT(m, p, n, a, vt, y); // Y = A V  [m, p]
    const qt = transpose(m, p, householderQr(new Mat(m, p, y)).q.data as Float64Array); // [p, m]
    gemmNT(n, p, m, at, qt, z); // Z = A^T Q  [n, p]
    vt = transpose(n, p, householderQr(new Mat(n, p, z)).q.data as Float64Array); // [p, n]
  }
  gemmNT(m, p, n, a, vt, y); // B = A V, whose singular values approximate A's top p
  return [...jacobiSvd(new Mat(m, p, Float64Array.from(y))).S.slice(0, k)];
}

/** Inspect the weight matrices of a checkpoint for an activation. */
export function inspectWeights(
  tensors: readonly FloatTensor[],
  activation: ActivationName,
  topK = 3,
): WeightsInspection {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const layers: LayerInspection[] = [];
  const other: string[] = [];
  for (const t of tensors) {
    if (t.shape.length < 2 || !/weight$|(^|\.)W$|kernel$/.test(t.name)) {
      other.push(t.name);
      continue;
    }
    const fanOut = t.shape[0]!;
    const fanIn = t.shape.slice(1).reduce((x, y) => x * y, 1);
    const { mean, variance, nonfinite } = meanVar(t.data);
    const weightVar = fanIn * variance;
    const prefix = t.name.replace(/(weight|W|kernel)$/, "");
    const bias = byName.get(`${prefix}bias`) ?? byName.get(`${prefix}b`);
    let biasVar = 0;
    if (bias && bias.shape.length === 1) {
      let s = 0;
      for (const v of bias.data) s += v * v;
      biasVar = bias.data.length > 0 ? s / bias.data.length : 0;
    }
    let chi1 = Number.NaN;
    let phase: Phase | "unknown" = "unknown";
    if (Number.isFinite(weightVar) && weightVar > 0 && Number.isFinite(biasVar)) {
      try {
        const report = theoryReport(activation, weightVar, biasVar);
        chi1 = report.chi1;
        phase = report.phase;
      } catch {
        // theory gives no answer at this scale: said as unknown
      }
    }
    const sv = nonfinite > 0 ? [] : topSingularValues(fanOut, fanIn, t.data, topK);
    let frob = 0;
    for (const v of t.data) if (Number.isFinite(v)) frob += v * v;
    const top = sv[0] ?? Number.NaN;
    layers.push({
      name: t.name,
      shape: t.shape,
      fanIn,
      fanOut,
      mean,
      weightVar,
      biasVar,
      chi1,
      phase,
      singularValues: sv,
      stableRank: top > 0 ? frob / (top * top) : Number.NaN,
      nonfinite,
    });
  }
  const inner = layers.slice(1);
  const predictedSpan = inner.length > 0 ? inner.reduce((p, l) => p * l.chi1, 1) : Number.NaN;
  return { activation, layers, predictedSpan, other };
}
