import type { NetworkConfig } from "./config.ts";
import { networkShape } from "./config.ts";

/**
 * Bytes a network of this config will allocate for one forward/backward pass: weights and
 * their gradients and transposes (4 x in x out per dense layer) plus about a dozen
 * [batch, width] buffers per hidden layer (z, u, phi, a, their gradients, transposes).
 */
export function estimateBytes(config: NetworkConfig): number {
  const { inputDim, outputs } = networkShape(config);
  const bytes = config.dtype === "f32" ? 4 : 8;
  const w = config.width;
  let elements = 0;
  for (let l = 0; l < config.depth; l++) {
    const fanIn = l === 0 ? inputDim : w;
    elements += 4 * fanIn * w + 2 * w;
    elements += 12 * config.batch * w + 2 * config.batch * fanIn;
  }
  elements += 4 * w * outputs + 6 * config.batch * outputs;
  elements += 3 * config.batch * Math.max(inputDim, w); // input, target, metric scratch
  return elements * bytes;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 && u > 0 ? 1 : 0)} ${units[u]}`;
}
