import type { Param } from "../layers/layer.ts";
import { gradNorm } from "./grad-norm.ts";
import { checkMaxNorm, clipToNorm } from "./scale-grads.ts";

/** What a per-tensor norm clip did. */
export interface LayerClipResult {
  /** Number of parameter tensors whose gradient was rescaled. */
  readonly clipped: number;
  /** Number of tensors whose gradient holds NaN or Infinity (left untouched). */
  readonly nonfinite: number;
  /** The largest gradient norm before clipping (NaN-free tensors; 0 for no params). */
  readonly largestNorm: number;
}

/**
 * `clipGlobalNorm` applied to each parameter tensor on its own: every param whose gradient
 * norm exceeds maxNorm is multiplied by maxNorm / (norm + 1e-6); the others, and any with a
 * NaN or infinite entry, are left as they are. `norms`, when given (length >= params.length),
 * receives each tensor's norm before clipping, without allocation.
 */
export function clipLayerNorm(
  params: readonly Param[],
  maxNorm: number,
  norms?: Float64Array,
): LayerClipResult {
  checkMaxNorm("maxNorm", maxNorm);
  if (norms !== undefined && norms.length < params.length) {
    throw new RangeError(`norms holds ${norms.length} values for ${params.length} parameters`);
  }
  let clipped = 0;
  let nonfinite = 0;
  let largestNorm = 0;
  for (let i = 0; i < params.length; i++) {
    const norm = gradNorm(params, i, i + 1);
    if (norms !== undefined) norms[i] = norm;
    const factor = clipToNorm(params, i, i + 1, maxNorm, norm);
    if (Number.isNaN(factor)) nonfinite++;
    else {
      if (factor !== 1) clipped++;
      if (norm > largestNorm) largestNorm = norm;
    }
  }
  return { clipped, nonfinite, largestNorm };
}
