import type { DType } from "../core/dtype.ts";
import { Mat } from "../core/mat.ts";
import type { Rng } from "../core/rng.ts";
import type { NetworkConfig } from "./config.ts";
import { networkShape } from "./config.ts";

/** Probe inputs x ~ N(0, I): [batch, inputDim]. */
export function gaussianInput(batch: number, inputDim: number, dtype: DType, rng: Rng): Mat {
  const x = Mat.zeros(batch, inputDim, dtype);
  rng.fillNormal(x.data);
  return x;
}

/**
 * The loss target for a probe: R ~ N(0, 1) of the last layer's shape for random-projection,
 * N(0, 1) regression values for mse, and uniformly random one-hot classes for cross-entropy.
 */
export function probeTarget(config: NetworkConfig, rng: Rng): Mat {
  const { outputs } = networkShape(config);
  const cols = config.loss === "random-projection" ? config.width : outputs;
  const t = Mat.zeros(config.batch, cols, config.dtype);
  if (config.loss === "cross-entropy") {
    for (let r = 0; r < config.batch; r++) t.data[r * cols + rng.int(cols)] = 1;
  } else {
    rng.fillNormal(t.data);
  }
  return t;
}
