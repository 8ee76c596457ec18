import { getActivation } from "../../core/activations.ts";
import type { NetworkConfig } from "../../experiment/config.ts";
import { networkShape } from "../../experiment/config.ts";
import { effectiveWeightVar, theoryUnavailable } from "../../experiment/probe-theory.ts";
import type { LayerMetrics } from "../../probe/layer-metrics.ts";
import { type LayerPrediction, predictProfile } from "../../theory/profile.ts";
import type { TheoryPoint } from "../figures/gradient-norm.ts";

/** Mean-field predictions of the two gradient metrics the figures plot, layer by layer. */
export interface GradientTheory {
  gradWeightNorm: TheoryPoint[];
  gradPreactMeanSq: TheoryPoint[];
}

type ProfileConfig = Pick<
  NetworkConfig,
  | "activation"
  | "slope"
  | "init"
  | "width"
  | "weightVar"
  | "gain"
  | "biasVar"
  | "depth"
  | "residual"
  | "branchScale"
>;

function profileOf(
  config: ProfileConfig,
  inputDim: number,
  inputMeanSq: number,
): LayerPrediction[] {
  return predictProfile({
    activation: getActivation(config.activation, { slope: config.slope }),
    weightVar: effectiveWeightVar(config as NetworkConfig),
    biasVar: config.biasVar,
    depth: config.depth,
    inputMeanSq,
    residual: config.residual,
    branchScale: config.branchScale,
    inputDim,
    width: config.width,
  });
}

/**
 * Expected Frobenius norm of dL/dW of each layer: E ||dW_l||^2 = batch * n_l * n_{l-1} *
 * E[(dz)^2] E[(a_{l-1})^2]. The probe's loss sums R * a_L with R drawn independently per
 * example, so the cross-example terms of dW = sum_b dz_b a_b^T vanish in expectation and
 * only the gradient-independence assumption of mean-field theory remains.
 */
function weightGradNorms(
  profile: readonly LayerPrediction[],
  batch: number,
  width: number,
  inputDim: number,
): TheoryPoint[] {
  return profile.map((p) => ({
    layer: p.layer,
    value: Math.sqrt(batch * width * (p.layer === 1 ? inputDim : width) * p.gradWeightMeanSq),
  }));
}

/**
 * The mean-field prediction for the probe of `config` (Gaussian input, random-projection
 * loss): E[dz^2] per layer as `probe --theory` prints it, and the expected ||dW||. Null when
 * the theory does not cover the config (see theoryUnavailable).
 */
export function probeGradientTheory(config: NetworkConfig): GradientTheory | null {
  if (theoryUnavailable(config) !== null) return null;
  const { inputDim } = networkShape(config);
  const profile = profileOf(config, inputDim, 1);
  return {
    gradPreactMeanSq: profile.map((p) => ({ layer: p.layer, value: p.gradPreactMeanSq })),
    gradWeightNorm: weightGradNorms(profile, config.batch, config.width, inputDim),
  };
}

/**
 * Why a training run gets no theory line, or null when it does. A trained network's data
 * and loss differ from the probe's, so only the shape across layers is predicted.
 */
export function trainTheoryUnavailable(
  config: Pick<NetworkConfig, "batchNorm" | "layerNorm" | "init">,
): string | null {
  if (config.batchNorm || config.layerNorm)
    return "no mean-field prediction for batch or layer normalization";
  if (config.init === "zeros") return "zero weights carry no signal";
  return null;
}

/**
 * The mean-field shape of a training run's gradients at initialization: how ||dW|| and E[dz^2]
 * change from layer to layer, matched to the measured value at the last layer of `anchor`
 * (the metrics of step 1, measured before the first update). The readout and the loss only set
 * the scale at the top, which the match absorbs; `inputMeanSq` is the mean square of the input
 * features (1 for standardized data). Null when unavailable or the anchor is not usable.
 */
export function trainGradientTheory(
  config: ProfileConfig & Pick<NetworkConfig, "batchNorm" | "layerNorm">,
  inputDim: number,
  anchor: readonly Pick<LayerMetrics, "layer" | "gradWeightNorm" | "gradPreactMeanSq">[],
  inputMeanSq = 1,
): GradientTheory | null {
  if (trainTheoryUnavailable(config) !== null) return null;
  const top = anchor[anchor.length - 1];
  if (!top || top.layer !== config.depth) return null;
  const profile = profileOf(config, inputDim, inputMeanSq);
  const last = profile[profile.length - 1];
  if (!last) return null;
  const match = (measured: number, predicted: number, values: number[]): TheoryPoint[] | null => {
    if (!(measured > 0 && Number.isFinite(measured) && predicted > 0 && Number.isFinite(predicted)))
      return null;
    return values.map((v, i) => ({ layer: i + 1, value: (v / predicted) * measured }));
  };
  const norms = weightGradNorms(profile, 1, config.width, inputDim).map((t) => t.value);
  const gradWeightNorm = match(top.gradWeightNorm, norms[norms.length - 1]!, norms);
  const gradPreactMeanSq = match(
    top.gradPreactMeanSq,
    last.gradPreactMeanSq,
    profile.map((p) => p.gradPreactMeanSq),
  );
  if (!gradWeightNorm || !gradPreactMeanSq) return null;
  return { gradWeightNorm, gradPreactMeanSq };
}
