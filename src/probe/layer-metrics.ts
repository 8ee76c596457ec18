import { getActivation } from "../core/activations.ts";
import { type FloatArray, minNormal } from "../core/dtype.ts";
import { activationPassFast } from "../core/kernels/reductions.ts";
import type { HiddenBlock } from "../core/layers/hidden-block.ts";
import { Mat } from "../core/mat.ts";
import {
  countNonFinite,
  l2Norm,
  meanStdFromSums,
  sumAndSquares,
  summarizeTensor,
} from "./stats.ts";

/** Per-layer measurements; field names and definitions are the public contract (DESIGN.md). */
export interface LayerMetrics {
  /** 1-based index from the input side. */
  layer: number;
  /** Mean over batch and units of z^2 (z before normalization). */
  q: number;
  /** Mean over batch and units of (dL/dz)^2. */
  gradPreactMeanSq: number;
  /** Frobenius norm of dL/dW. */
  gradWeightNorm: number;
  /** L2 norm of dL/db. */
  gradBiasNorm: number;
  /** Frobenius norm of W. */
  weightNorm: number;
  /** std(dL/dW) / std(W). */
  gradToWeight: number;
  /** Mean of phi(u). */
  actMean: number;
  /** Standard deviation of phi(u). */
  actStd: number;
  /** Fraction of entries with phi'(u) < 0.01 max phi' (bounded activations; 0 otherwise). */
  saturated: number;
  /** Fraction of entries with phi'(u) < 0.01 max phi', for every activation. */
  lowDerivative: number;
  /** Fraction of entries with phi'(u) = 0. */
  inactive: number;
  /** Fraction of units with phi'(u) = 0 for every example in the batch. */
  dead: number;
  /** Count of NaN/Inf among z, a, dL/dz, dL/dW and dL/db. */
  nonfinite: number;
  /** Count of subnormal (precision-losing) entries among dL/dz and dL/dW in the run's dtype. */
  subnormal: number;
  /**
   * True when dL/dz is exactly zero although phi' is not and the gradient above was not:
   * the gradient underflowed the dtype (typically float32) rather than being truly zero.
   */
  underflow: boolean;
}

/**
 * Scratch space for phi'(u), reused across calls so recording every step allocates nothing
 * once the batch size is fixed.
 */
export class MetricScratch {
  private mat: Mat | null = null;
  /** Results of `activationPass`: zero count, low count, sum phi, sum phi^2, sum u^2. */
  readonly sums = new Float64Array(5);
  /**
   * std(W) of each measured layer (index layer - 1), as used for gradToWeight: the trainer
   * reuses it for its update-to-weight ratio instead of reading W again.
   */
  readonly weightStd: number[] = [];
  /**
   * tensorMoments of tensors the caller has already read as they are now, by their data array:
   * the trainer's gradient-norm pass over dL/dW and dL/db on recorded steps, and the sums of W
   * from the update that wrote it (for W only [0] and [1] are read). measureBlock uses them
   * instead of reading the data again. The caller clears it after measuring.
   */
  readonly knownMoments = new Map<FloatArray, Float64Array>();
  get(rows: number, cols: number): Mat {
    if (!this.mat || this.mat.rows !== rows || this.mat.cols !== cols) {
      this.mat = Mat.zeros(rows, cols, "f64");
    }
    return this.mat;
  }
}

/**
 * Measure one hidden block after a forward and backward pass. `gradAboveWasNonzero` tells
 * whether the gradient arriving from above was nonzero, or itself underflowed (for the
 * underflow flag: a zero that came through a nonzero gradient and nonzero phi' is lost
 * precision, not a true zero).
 */
export function measureBlock(
  block: HiddenBlock,
  layer: number,
  gradAboveWasNonzero: boolean,
  scratch: MetricScratch = new MetricScratch(),
): LayerMetrics {
  const { z, u, phi, dz, output } = block;
  const { W, dW, db } = block.dense;
  const n = u.size;
  const rows = u.rows;
  const cols = u.cols;
  const act = block.activation;

  const deriv = scratch.get(rows, cols);
  const d = deriv.data;
  const pd = phi.data;
  const ud = u.data;
  // phi' of tanh and sigmoid is a function of phi(u): computed inline below (in float64, exactly
  // as their `derivatives` do) instead of through the scratch array; others fill the scratch.
  // (Only the library's own instances: a custom Activation keeps its own `derivatives`.)
  const inline = act === getActivation("tanh") ? 1 : act === getActivation("sigmoid") ? 2 : 0;
  // Derivatives are evaluated in float64 from the stored u and phi(u).
  if (inline === 0) act.derivatives(ud, pd, d, n);
  const threshold = 0.01 * act.maxDerivative;
  // One pass over u, phi(u) and phi'(u) together (recording every step must stay cheap): the
  // derivative counts, the sums for the mean and std of phi(u), and the mean square of z when
  // z is u (no normalization).
  const zIsU = z === u;
  const sums = scratch.sums;
  // The native addon runs the same pass (same per-element arithmetic, float64 sums) ~5x faster.
  const fast =
    d instanceof Float64Array && activationPassFast(inline, pd, ud, d, n, threshold, sums);
  if (!fast) activationPass(pd, ud, d, n, inline, threshold, sums);
  const zero = sums[0]!;
  const low = sums[1]!;
  const phiSum = sums[2]!;
  const phiSq = sums[3]!;
  const uSq = sums[4]!;
  // Inf or NaN in phi(u) makes the sum of squares Inf or NaN; only then count them.
  const phiNonfinite = phiSq < Number.POSITIVE_INFINITY ? 0 : countNonFinite(pd, n);
  // A unit is dead when phi' = 0 for the whole batch; with no zero derivative at all none is.
  let deadUnits = 0;
  if (zero > 0) {
    if (inline !== 0) act.derivatives(ud, pd, d, n);
    for (let j = 0; j < cols; j++) {
      let allZero = true;
      for (let r = 0; r < rows && allZero; r++) if (d[r * cols + j] !== 0) allZero = false;
      if (allZero) deadUnits++;
    }
  }

  const tiny = minNormal(block.dense.dtype);
  // z needs only its mean square and NaN/Inf count (Inf or NaN make the sum of squares so).
  const zSq = zIsU ? uSq : sumAndSquares(z.data, z.size).sumSq;
  const q = zSq > 1e-280 && zSq < 1e300 ? zSq / z.size : l2Norm(z.data, z.size) ** 2 / z.size;
  const zNonfinite = zSq < Number.POSITIVE_INFINITY ? 0 : countNonFinite(z.data, z.size);
  const dzS = summarizeTensor(dz.data, tiny, dz.size);
  // W needs its norm and std only.
  // (The trainer may already have W's sums, from the update that produced it.)
  const known = scratch.knownMoments;
  const wKnown = known.get(W.data);
  const wSums = wKnown ? { sum: wKnown[0]!, sumSq: wKnown[1]! } : sumAndSquares(W.data, W.size);
  const wSq = wSums.sumSq;
  const wNorm = wSq > 1e-280 && wSq < 1e300 ? Math.sqrt(wSq) : l2Norm(W.data, W.size);
  const wStd = meanStdFromSums(W.data, W.size, wSums.sum, wSq).std;
  scratch.weightStd[layer - 1] = wStd;
  const dwS = summarizeTensor(dW.data, tiny, dW.size, known.get(dW.data));
  const dbS = summarizeTensor(db.data, tiny, db.size, known.get(db.data));
  const phiS = meanStdFromSums(pd, n, phiSum, phiSq);
  const gradPreactMeanSq = dzS.meanSquare;

  return {
    layer,
    q,
    gradPreactMeanSq,
    gradWeightNorm: dwS.norm,
    gradBiasNorm: dbS.norm,
    weightNorm: wNorm,
    gradToWeight: dwS.std / wStd,
    actMean: phiS.mean,
    actStd: phiS.std,
    saturated: act.bounded ? low / n : 0,
    lowDerivative: low / n,
    inactive: zero / n,
    dead: deadUnits / cols,
    nonfinite:
      zNonfinite +
      (block.residual ? countNonFinite(output.data, output.size) : phiNonfinite) +
      dzS.nonfinite +
      dwS.nonfinite +
      dbS.nonfinite,
    subnormal: dzS.subnormal + dwS.subnormal,
    underflow: dzS.norm === 0 && zero < n && gradAboveWasNonzero,
  };
}

/**
 * The per-element pass of `measureBlock` over u, phi(u) and phi'(u), in small functions of
 * their own (V8 compiled it 4x slower inlined in the large one). `inline` 1 / 2 computes phi'
 * of tanh / sigmoid from phi (as their `derivatives` do), 0 reads it from `d`. Writes [count
 * phi' = 0, count phi' < threshold, sum phi, sum phi^2, sum u^2] to `out`. +(test) counts
 * without a branch: which entries are low is data, and mispredicted branches cost 3x. One loop
 * per kind, two elements an iteration into separate sums: independent add chains, ~1.4x faster.
 */
export function activationPass(
  pd: FloatArray,
  ud: FloatArray,
  d: FloatArray,
  n: number,
  inline: number,
  threshold: number,
  out: Float64Array,
): void {
  if (inline === 1) derivativePass(pd, ud, pd, n, 1, threshold, out);
  else if (inline === 2) derivativePass(pd, ud, pd, n, 2, threshold, out);
  else derivativePass(pd, ud, d, n, 0, threshold, out);
}

/** activationPass for one kind; `kind` is a constant at each call site above. */
function derivativePass(
  pd: FloatArray,
  ud: FloatArray,
  src: FloatArray,
  n: number,
  kind: number,
  threshold: number,
  out: Float64Array,
): void {
  let zero0 = 0;
  let zero1 = 0;
  let low0 = 0;
  let low1 = 0;
  let s0 = 0;
  let s1 = 0;
  let q0 = 0;
  let q1 = 0;
  let w0 = 0;
  let w1 = 0;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const a = pd[i]!;
    const b = pd[i + 1]!;
    const va = kind === 1 ? 1 - a * a : kind === 2 ? a * (1 - a) : src[i]!;
    const vb = kind === 1 ? 1 - b * b : kind === 2 ? b * (1 - b) : src[i + 1]!;
    zero0 += +(va === 0);
    zero1 += +(vb === 0);
    low0 += +(va < threshold);
    low1 += +(vb < threshold);
    s0 += a;
    s1 += b;
    q0 += a * a;
    q1 += b * b;
    const x = ud[i]!;
    const y = ud[i + 1]!;
    w0 += x * x;
    w1 += y * y;
  }
  if (i < n) {
    const a = pd[i]!;
    const v = kind === 1 ? 1 - a * a : kind === 2 ? a * (1 - a) : src[i]!;
    zero0 += +(v === 0);
    low0 += +(v < threshold);
    s0 += a;
    q0 += a * a;
    const x = ud[i]!;
    w0 += x * x;
  }
  out[0] = zero0 + zero1;
  out[1] = low0 + low1;
  out[2] = s0 + s1;
  out[3] = q0 + q1;
  out[4] = w0 + w1;
}
