import { minNormal } from "../core/dtype.ts";
import type { HiddenBlock } from "../core/layers/hidden-block.ts";
import { Mat } from "../core/mat.ts";
import { countNonFinite, meanStd, summarizeTensor } from "./stats.ts";

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
  // Derivatives are evaluated in float64 from the stored u and phi(u).
  act.derivatives(u.data, phi.data, deriv.data, n);
  const threshold = 0.01 * act.maxDerivative;
  let low = 0;
  let zero = 0;
  for (let i = 0; i < n; i++) {
    const d = deriv.data[i]!;
    if (d === 0) zero++;
    if (d < threshold) low++;
  }
  let deadUnits = 0;
  for (let j = 0; j < cols; j++) {
    let allZero = true;
    for (let r = 0; r < rows && allZero; r++) if (deriv.data[r * cols + j] !== 0) allZero = false;
    if (allZero) deadUnits++;
  }

  const tiny = minNormal(block.dense.dtype);
  const zS = summarizeTensor(z.data, tiny, z.size);
  const dzS = summarizeTensor(dz.data, tiny, dz.size);
  const wS = summarizeTensor(W.data, tiny, W.size);
  const dwS = summarizeTensor(dW.data, tiny, dW.size);
  const dbS = summarizeTensor(db.data, tiny, db.size);
  const phiS = meanStd(phi.data, n);
  const gradPreactMeanSq = dzS.meanSquare;

  return {
    layer,
    q: zS.meanSquare,
    gradPreactMeanSq,
    gradWeightNorm: dwS.norm,
    gradBiasNorm: dbS.norm,
    weightNorm: wS.norm,
    gradToWeight: dwS.std / wS.std,
    actMean: phiS.mean,
    actStd: phiS.std,
    saturated: act.bounded ? low / n : 0,
    lowDerivative: low / n,
    inactive: zero / n,
    dead: deadUnits / cols,
    nonfinite:
      zS.nonfinite +
      (block.residual ? countNonFinite(output.data, output.size) : countNonFinite(phi.data, n)) +
      dzS.nonfinite +
      dwS.nonfinite +
      dbS.nonfinite,
    subnormal: dzS.subnormal + dwS.subnormal,
    underflow: dzS.norm === 0 && zero < n && gradAboveWasNonzero,
  };
}
