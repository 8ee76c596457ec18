import type { Network } from "../core/network.ts";
import { type LayerMetrics, MetricScratch, measureBlock } from "./layer-metrics.ts";

/**
 * Every metric of every hidden layer of `network`, read after one forward and backward pass.
 * Layers are measured from the output down so the underflow flag can see the layer above.
 */
export function measureNetwork(
  network: Network,
  scratch: MetricScratch = new MetricScratch(),
): LayerMetrics[] {
  const out: LayerMetrics[] = new Array(network.depth);
  let aboveNonzeroOrUnderflowed = true;
  for (let l = network.depth - 1; l >= 0; l--) {
    const m = measureBlock(network.blocks[l]!, l + 1, aboveNonzeroOrUnderflowed, scratch);
    out[l] = m;
    aboveNonzeroOrUnderflowed = m.underflow || hasNonzero(network.blocks[l]!.dz.data);
  }
  return out;
}

function hasNonzero(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) return true;
  return false;
}
