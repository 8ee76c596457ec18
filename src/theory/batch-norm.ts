import type { ActivationName } from "../core/activations.ts";
import { batchNormInteriorFactor } from "./batch-norm-profile.ts";

/**
 * Gradient growth per layer in deep networks with batch normalization at initialization
 * (training-mode batch statistics over a batch of B examples), going from the output toward
 * the input: the factor by which the mean-square gradient dL/dz grows per layer.
 *
 * - identity: (B - 2) / (B - 3), exact in the mean-field limit (Yang, Pennington, Rao,
 *   Sohl-Dickstein & Schoenholz 2019, "A mean field theory of batch normalization"): linear
 *   networks with batch norm explode, slowly, and faster for small batches.
 * - relu: pi / (pi - 1) as B -> infinity (same paper): the variance of relu(u) for u ~ N(0, 1)
 *   is 1/2 - 1/(2 pi) while E[relu'(u)^2] = 1/2, and batch norm divides the gradient by that
 *   spread. At finite B the closed form of batch-norm-profile.ts (each unit's BN output is
 *   uniform on the centered sphere, so pair correlations are -1/(B-1)); it lies within 1% of
 *   the older approximation pi/(pi-1) * (B-2)/(B-3) for B >= 16 (see docs/THEORY.md).
 *
 * Returns NaN for activations without a closed form here, and for B < 4.
 */
export function batchNormGradientFactor(activation: ActivationName, batch: number): number {
  if (!(batch >= 4)) return Number.NaN;
  if (activation === "identity") return (batch - 2) / (batch - 3);
  if (activation === "relu") return batchNormInteriorFactor("relu", batch);
  return Number.NaN;
}

/** Whether batchNormGradientFactor has a prediction for this activation. */
export function hasBatchNormTheory(activation: ActivationName): boolean {
  return activation === "identity" || activation === "relu";
}
