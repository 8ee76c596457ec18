import { initWeightVariance } from "../core/init.ts";
import { num } from "./text.ts";
import type { DiagnosisConfig } from "./types.ts";

type ScaleFields = Pick<
  DiagnosisConfig,
  "activation" | "init" | "weightVar" | "gain" | "slope" | "width" | "source"
>;

/**
 * sigma_w^2 = fan_in Var(W) of a hidden (width x width) layer under the config's init: the
 * weight variance of mean-field theory (the same as experiment/probe-theory.ts computes).
 */
export function effectiveWeightVar(config: ScaleFields): number {
  if (config.source === "imported") return Number.NaN;
  const slope = config.activation === "leaky-relu" ? config.slope : 0;
  const width = Math.max(1, config.width);
  return (
    initWeightVariance(config.init, width, width, {
      weightVar: config.weightVar,
      gain: config.gain,
      slope,
    }) * width
  );
}

/** "standard-uniform weights have variance 1/(3 fan_in), so sigma_w^2 = fan_in Var(W) = 0.333". */
export function describeWeightScale(config: ScaleFields): string {
  if (config.source === "imported")
    return "the weights are the model's own (gradscope did not set their scale)";
  const sw = effectiveWeightVar(config);
  const law = lawOf(config);
  const gain = config.gain !== 1 ? ` times gain^2 = ${num(config.gain ** 2)}` : "";
  if (config.init === "zeros") return "zero weights carry no signal and no gradient";
  return `${law}${gain}, so sigma_w^2 = fan_in Var(W) = ${num(sw)}`;
}

function lawOf(config: ScaleFields): string {
  const w = num(config.weightVar);
  switch (config.init) {
    case "normal":
    case "uniform":
      return `${config.init} weights have variance ${w}/fan_in`;
    case "standard-uniform":
      return "standard-uniform weights have variance 1/(3 fan_in)";
    case "xavier-uniform":
    case "xavier-normal":
      return `${config.init} weights have variance 2/(fan_in + fan_out)`;
    case "he-uniform":
    case "he-normal":
      return config.activation === "leaky-relu"
        ? `${config.init} weights have variance 2/((1 + slope^2) fan_in)`
        : `${config.init} weights have variance 2/fan_in`;
    case "lecun-uniform":
    case "lecun-normal":
      return `${config.init} weights have variance 1/fan_in`;
    case "orthogonal":
      return `orthogonal weights scaled by sqrt(${w})`;
    case "identity":
      return `identity weights scaled by sqrt(${w})`;
    case "zeros":
      return "zero weights";
  }
}
