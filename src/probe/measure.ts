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
    aboveNonzeroOrUnderflowed = m.gradPreactMeanSq > 0 || m.underflow;
  }
  return out;
}
