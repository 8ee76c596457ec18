import type { FlowPoint } from "../../verdict/flow-measures.ts";
import { judgeFlow } from "../../verdict/flow-verdict.ts";
import { type ProbeSummary, summaryOf } from "../../verdict/summary.ts";
import {
  buildTransformerProbe,
  type TransformerSetup,
  transformerForwardBackward,
} from "./build.ts";
import type { TransformerConfig } from "./config.ts";
import { validateTransformerConfig } from "./config.ts";
import { measureTransformerBlock, type TransformerBlockMetrics } from "./metrics.ts";

/** probe --json for a transformer: one `layers` entry per block. */
export interface TransformerProbeResult {
  config: TransformerConfig;
  layers: TransformerBlockMetrics[];
  /**
   * The verdict over blocks (judgeFlow, unit "block"); the *Layers fields list block indices.
   * Keeps ProbeSummary's shape so the MLP's output code reads it unchanged.
   */
  summary: ProbeSummary & { loss: number };
}

/** A block as a measure point: forward signal = mean square of its output, backward = of dL/d(input). */
export function blockPoint(m: TransformerBlockMetrics): FlowPoint {
  return {
    index: m.layer,
    signal: m.q,
    gradMeanSq: m.gradInputMeanSq,
    gradNorm: m.gradWeightNorm,
    nonfinite: m.nonfinite,
    underflow: m.underflow,
    weightNorm: m.weightNorm,
  };
}

/** Per-block metrics of a setup after `transformerForwardBackward`. */
export function measureTransformer(setup: TransformerSetup): TransformerBlockMetrics[] {
  const blocks = setup.model.blocks;
  const out: TransformerBlockMetrics[] = [];
  // the gradient arriving at block l's output is block l+1's input gradient (the last: the loss's,
  // through the final LN for pre-LN; any nonzero value marks "a gradient came from above")
  let above = 1;
  for (let l = blocks.length - 1; l >= 0; l--) {
    const m = measureTransformerBlock(blocks[l]!, l + 1, above);
    out.push(m);
    above = m.gradInputMeanSq;
  }
  return out.reverse();
}

/** The verdict of one snapshot of blocks. */
export function summarizeBlocks(
  layers: readonly TransformerBlockMetrics[],
  config: Pick<TransformerConfig, "dtype">,
): ProbeSummary {
  return summaryOf(judgeFlow(layers.map(blockPoint), { dtype: config.dtype, unit: "block" }));
}

/** Build, run one forward/backward pass, measure every block and judge the flow. */
export function runTransformerProbe(config: TransformerConfig): TransformerProbeResult {
  validateTransformerConfig(config);
  const setup = buildTransformerProbe(config);
  const loss = transformerForwardBackward(setup);
  const layers = measureTransformer(setup);
  return { config, layers, summary: { ...summarizeBlocks(layers, config), loss } };
}
