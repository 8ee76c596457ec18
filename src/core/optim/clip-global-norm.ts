import type { Param } from "../layers/layer.ts";
import { gradNorm } from "./grad-norm.ts";
import { checkMaxNorm, clipToNorm } from "./scale-grads.ts";

/** What a norm clip did. */
export interface ClipResult {
  /** Norm of the gradients before clipping (NaN or Infinity when they hold such values). */
  readonly norm: number;
  /** True when the gradients were rescaled. */
  readonly clipped: boolean;
  /** True when a gradient entry is NaN or infinite; the gradients are then left untouched. */
  readonly nonfinite: boolean;
  /** The factor the gradients were multiplied by: 1 when not clipped, NaN when nonfinite. */
  readonly factor: number;
}

/**
 * Gradient-norm clipping (Pascanu, Mikolov & Bengio 2013; torch.nn.utils.clip_grad_norm_
 * with norm_type 2), in place. The total norm sqrt(sum of every squared gradient entry over
 * all params) is computed in float64 with overflow/underflow-safe scaling (`gradNorm`).
 * When norm > maxNorm, every gradient is multiplied by maxNorm / (norm + 1e-6), PyTorch's
 * exact factor, so the clipped norm is maxNorm * norm / (norm + 1e-6): maxNorm to a relative
 * 1e-6 / norm. (PyTorch multiplies by min(1, that factor) unconditionally, which also shrinks
 * gradients whose norm lies within 1e-6 below maxNorm; here norm <= maxNorm is left alone.)
 * A NaN or infinite entry gives { nonfinite: true, clipped: false } with the gradients left
 * as they are, for the caller to report the explosion.
 *
 * @example
 * const { clipped, norm } = clipGlobalNorm(net.params(), 1);
 */
export function clipGlobalNorm(params: readonly Param[], maxNorm: number): ClipResult {
  checkMaxNorm("maxNorm", maxNorm);
  const norm = gradNorm(params);
  const factor = clipToNorm(params, 0, params.length, maxNorm, norm);
  const nonfinite = Number.isNaN(factor);
  return { norm, clipped: !nonfinite && factor !== 1, nonfinite, factor };
}
