import type { Param } from "../../core/layers/layer.ts";
import { l2Norm } from "../../probe/stats.ts";
import { type RecurrentTheory, recurrentTheory } from "../../theory/recurrent.ts";
import type { FlowPoint } from "../../verdict/flow-measures.ts";
import {
  type FlowCondition,
  judgeFlow,
  type Verdict,
  type VerdictSeverity,
} from "../../verdict/flow-verdict.ts";
import { ConfigError } from "../config.ts";
import { formatBytes } from "../memory.ts";
import { DEFAULT_MEMORY_LIMIT } from "../probe-run.ts";
import { estimateRecurrentBytes, type RecurrentConfig } from "./config.ts";
import { buildRecurrentProbe, recurrentForwardBackward } from "./probe-setup.ts";
import { measureTimeSteps, type TimeStepMetrics } from "./step-metrics.ts";

export interface RecurrentParamMetrics {
  /** torch's names: weight_ih, weight_hh, bias_ih, bias_hh; readout.W, readout.b. */
  name: string;
  gradNorm: number;
  weightNorm: number;
}

/** The verdict over time steps (judgeFlow with unit "time step"), with the numbers behind it. */
export interface RecurrentProbeSummary {
  verdict: Verdict;
  severity: VerdictSeverity;
  conditions: FlowCondition[];
  /** One sentence, speaking of time steps. */
  message: string;
  seqLen: number;
  /**
   * Per-step factor of E[(dL/dh_t)^2] going back in time (exp of minus the fitted slope of
   * its log over steps 2..T): the measured counterpart of (gamma sigma_max)^2.
   */
  perStepFactor: number;
  /** E[(dL/dh)^2] at step 2 over that at step T, ends smoothed (what the verdict judges). */
  gradientSpan: number;
  gradientDecades: number;
  /** E[h_T^2] over E[h_2^2]. */
  signalRatio: number;
  /** |dL/dh_1| / |dL/dh_T|. */
  firstToLastRatio: number;
  nonfiniteSteps: number[];
  underflowSteps: number[];
  overflowSteps: number[];
  loss: number;
}

export interface RecurrentProbeResult {
  config: RecurrentConfig;
  /** One entry per step t = 1..T. */
  timeSteps: TimeStepMetrics[];
  params: RecurrentParamMetrics[];
  summary: RecurrentProbeSummary;
  theory: RecurrentTheory;
}

/**
 * Time steps as points of the gradient path: index t, signal E[h_t^2], gradient E[(dL/dh_t)^2]
 * and |dL/dh_t|; `weightNorm` |W_hh| lets a zero recurrent matrix's true zeros not count as
 * underflow.
 */
export function timeStepPoints(
  steps: readonly TimeStepMetrics[],
  weightHhNorm: number,
): FlowPoint[] {
  return steps.map((s) => ({
    index: s.t,
    signal: s.hiddenMeanSq,
    gradMeanSq: s.gradHiddenMeanSq,
    gradNorm: s.gradHiddenNorm,
    nonfinite: s.nonfinite,
    underflow: s.underflow,
    weightNorm: weightHhNorm,
  }));
}

function paramMetrics(name: string, p: Param): RecurrentParamMetrics {
  return {
    name,
    gradNorm: l2Norm(p.grad.data, p.grad.size),
    weightNorm: l2Norm(p.value.data, p.value.size),
  };
}

export interface RunRecurrentProbeOptions {
  /** Refuse configs whose buffers would exceed this (default 8 GiB). */
  memoryLimitBytes?: number;
}

/**
 * One forward/backward pass of a recurrent net on Gaussian inputs (loss: the random
 * projection of h_T, or mse / cross-entropy through a readout), measured step by step and
 * judged over time steps; with the recurrent theory beside it.
 */
export function runRecurrentProbe(
  config: RecurrentConfig,
  options: RunRecurrentProbeOptions = {},
): RecurrentProbeResult {
  const limit = options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT;
  const need = estimateRecurrentBytes(config);
  if (need > limit) {
    throw new ConfigError(
      `recurrent net needs about ${formatBytes(need)} (${config.arch}, seq-len ${config.seqLen}, width ${config.width}, batch ${config.batch}, ${config.dtype}), over the ${formatBytes(limit)} limit: reduce --seq-len, --width or --batch`,
    );
  }
  const setup = buildRecurrentProbe(config);
  const loss = recurrentForwardBackward(setup);
  const { layer } = setup;
  const orthogonalGain =
    config.recurrentInit === "orthogonal" || config.recurrentInit === "identity"
      ? config.recurrentGain
      : null;
  const theory = recurrentTheory({
    kind: config.arch,
    activation: config.activation,
    slope: config.slope,
    weightHh: layer.weightHh,
    seqLen: config.seqLen,
    orthogonalGain,
    forgetBias: config.forgetBias,
  });
  const timeSteps = measureTimeSteps(layer, theory.linearProfile);
  const params = layer.params().map((p) => paramMetrics(p.name, p));
  if (setup.readout)
    for (const p of setup.readout.params()) params.push(paramMetrics(`readout.${p.name}`, p));
  const whh = params.find((p) => p.name === "weight_hh")!.weightNorm;
  const j = judgeFlow(timeStepPoints(timeSteps, whh), { dtype: config.dtype, unit: "time step" });
  const m = j.measures;
  const summary: RecurrentProbeSummary = {
    verdict: j.verdict,
    severity: j.severity,
    conditions: j.conditions,
    message: j.message,
    seqLen: config.seqLen,
    perStepFactor: m.factor,
    gradientSpan: m.span,
    gradientDecades: m.decades,
    signalRatio: m.signalRatio,
    firstToLastRatio: m.firstToLastRatio,
    nonfiniteSteps: m.nonfinitePoints,
    underflowSteps: m.underflowPoints,
    overflowSteps: m.overflowPoints,
    loss,
  };
  return { config, timeSteps, params, summary, theory };
}
