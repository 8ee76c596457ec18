import type { NormPosition } from "../core/transformer/block.ts";
import type { RecurrentProbeResult } from "../experiment/recurrent/index.ts";
import type { TransformerProbeResult } from "../experiment/transformer/probe.ts";

/**
 * Messages to the worker of the "through time" and "where LayerNorm sits" pages
 * (deep-worker.ts): a recurrent probe over time steps, or a transformer probe over blocks,
 * computed off the page's thread with the engine's own runRecurrentProbe / runTransformerProbe.
 */
export type DeepRequest =
  | {
      kind: "recurrent";
      arch: "rnn" | "lstm" | "gru";
      activation: string;
      rho: number;
      seqLen: number;
    }
  | { kind: "transformer"; depth: number; normPosition: NormPosition };

/** What the page keeps of a recurrent probe (every per-step number, the theory, the verdict). */
export type RecurrentAnswer = Pick<RecurrentProbeResult, "config" | "timeSteps" | "summary"> & {
  theory: Omit<RecurrentProbeResult["theory"], "singularValues">;
};

export type TransformerAnswer = Pick<TransformerProbeResult, "config" | "summary"> & {
  layers: {
    layer: number;
    gradWeightNorm: number;
    q: number;
    gradInputMeanSq: number;
    nonfinite: number;
  }[];
};

export type DeepAnswer =
  | { id: number; kind: "recurrent"; result: RecurrentAnswer; ms: number }
  | { id: number; kind: "transformer"; result: TransformerAnswer; ms: number }
  | { id: number; error: string };

/** Width and batch of the "through time" page's recurrent nets. */
export const TIME_WIDTH = 64;
export const TIME_BATCH = 16;
