import { Network } from "../core/network.ts";
import type { Rng } from "../core/rng.ts";
import type { NetworkConfig } from "./config.ts";

/** The network fields a probe config and a training config share. */
export type NetworkFields = Pick<
  NetworkConfig,
  | "depth"
  | "width"
  | "activation"
  | "slope"
  | "batchNorm"
  | "layerNorm"
  | "residual"
  | "branchScale"
  | "dtype"
  | "init"
  | "weightVar"
  | "biasVar"
  | "gain"
>;

/**
 * Build and initialize the network a config describes, drawing the weights from `weightRng`.
 * `probe` and `train` both build through here, so the same seed gives the same weights.
 */
export function networkFromConfig(
  config: NetworkFields,
  inputDim: number,
  outputs: number,
  weightRng: Rng,
): Network {
  const network = new Network({
    inputDim,
    depth: config.depth,
    width: config.width,
    activation: config.activation,
    slope: config.slope,
    normalization: config.batchNorm ? "batch-norm" : config.layerNorm ? "layer-norm" : "none",
    residual: config.residual,
    branchScale: config.branchScale,
    outputs,
    dtype: config.dtype,
  });
  network.initialize(
    config.init,
    {
      weightVar: config.weightVar,
      biasVar: config.biasVar,
      gain: config.gain,
      // He init reads the leaky slope; for every other activation the slope means nothing.
      slope: config.activation === "leaky-relu" ? config.slope : 0,
    },
    weightRng,
  );
  return network;
}
