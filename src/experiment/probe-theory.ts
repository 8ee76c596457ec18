import { getActivation } from "../core/activations.ts";
import { initWeightVariance } from "../core/init.ts";
import { predictBatchNormProfile } from "../theory/batch-norm-profile.ts";
import { predictProfile } from "../theory/profile.ts";
import { type NetworkConfig, networkShape } from "./config.ts";

/** The mean-field prediction laid beside a probe's measurement. */
export interface ProbeTheory {
  /** "batch-norm mean-field": the finite-batch batch-norm profile (theory/batch-norm-profile.ts). */
  source: "mean-field" | "batch-norm mean-field";
  /** Effective sigma_w^2 = fan_in * Var(W_ij) of the hidden layers' init. */
  weightVar: number;
  biasVar: number;
  layers: { layer: number; q: number; gradPreactMeanSq: number; factor: number }[];
}

/**
 * Why no prediction exists for this config, or null when one does. Mean-field recursions here
 * cover plain and residual networks on Gaussian inputs with the random-projection loss.
 */
export function theoryUnavailable(config: NetworkConfig): string | null {
  if (config.batchNorm) {
    return "with batch norm, mean-field predictions exist for identity and relu only (the per-layer factor)";
  }
  if (config.layerNorm) return "no mean-field prediction for layer normalization yet";
  if (config.loss !== "random-projection") return "the prediction assumes --loss random-projection";
  if (config.init === "zeros") return "zero weights carry no signal: nothing to predict";
  return null;
}

/**
 * Why `probe --theory` has no layer-by-layer prediction for this config, or null when it has
 * one: the plain and residual mean field of theoryUnavailable, plus batch-norm networks
 * (plain blocks, identity or relu, batch >= 4).
 */
export function probeTheoryUnavailable(config: NetworkConfig): string | null {
  if (!config.batchNorm) return theoryUnavailable(config);
  if (config.activation !== "identity" && config.activation !== "relu") {
    return `no prediction for batch norm with ${config.activation} (identity and relu only)`;
  }
  if (config.residual) return "no prediction for batch norm with residual blocks";
  if (config.batch < 4) return "no prediction for batch norm with a batch below 4";
  if (config.loss !== "random-projection") return "the prediction assumes --loss random-projection";
  if (config.init === "zeros") return "zero weights carry no signal: nothing to predict";
  return null;
}

/** Effective weight variance sigma_w^2 of a hidden (width x width) layer under the config's init. */
export function effectiveWeightVar(config: NetworkConfig): number {
  const slope = config.activation === "leaky-relu" ? config.slope : 0;
  const perEntry = initWeightVariance(config.init, config.width, config.width, {
    weightVar: config.weightVar,
    gain: config.gain,
    slope,
  });
  return perEntry * config.width;
}

/** Layer-by-layer prediction of q and gradPreactMeanSq for the probe of `config`. */
export function predictProbe(config: NetworkConfig): ProbeTheory {
  const reason = probeTheoryUnavailable(config);
  if (reason) throw new RangeError(reason);
  const { inputDim } = networkShape(config);
  const weightVar = effectiveWeightVar(config);
  if (config.batchNorm) {
    const rows = predictBatchNormProfile({
      activation: config.activation === "relu" ? "relu" : "identity",
      weightVar,
      biasVar: config.biasVar,
      depth: config.depth,
      batch: config.batch,
      inputMeanSq: 1,
    });
    return {
      source: "batch-norm mean-field",
      weightVar,
      biasVar: config.biasVar,
      layers: rows.map((p) => ({
        layer: p.layer,
        q: p.q,
        gradPreactMeanSq: p.gradPreactMeanSq,
        factor: p.factor,
      })),
    };
  }
  const profile = predictProfile({
    activation: getActivation(config.activation, { slope: config.slope }),
    weightVar,
    biasVar: config.biasVar,
    depth: config.depth,
    inputMeanSq: 1,
    residual: config.residual,
    branchScale: config.branchScale,
    inputDim,
    width: config.width,
  });
  return {
    source: "mean-field",
    weightVar,
    biasVar: config.biasVar,
    layers: profile.map((p) => ({
      layer: p.layer,
      q: p.q,
      gradPreactMeanSq: p.gradPreactMeanSq,
      factor: p.factor,
    })),
  };
}
