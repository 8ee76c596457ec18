import type { ActivationName } from "../../core/activations.ts";
import type { DType } from "../../core/dtype.ts";
import type { InitName } from "../../core/init.ts";
import type { OptimizerName, ScheduleKind } from "../../core/optim/index.ts";
import type { RecurrentKind } from "../../core/recurrent/cell.ts";
import type { NormPosition } from "../../core/transformer/block.ts";
import type { FfnActivation } from "../../core/transformer/ffn.ts";
import type { TaskKind } from "../../core/transformer/heads.ts";
import type { PositionKind } from "../../core/transformer/positions.ts";
import type { Verdict } from "../../verdict/flow-verdict.ts";
import type { SequenceTaskName } from "../recurrent/tasks.ts";
import type { TransformerBlockMetrics } from "../transformer/metrics.ts";

/**
 * The run directory of `gradscope train --arch rnn|lstm|gru|transformer`: config.json (these
 * configs, every key an option of `train`, so `--config` repeats the run), metrics.jsonl
 * (SequenceRecord lines) and summary.json (SequenceSummary). docs/METRICS.md, "Recurrent and
 * transformer runs", is the contract.
 */

/** What recurrent and transformer runs share: optimization, recording and evaluation. */
interface SequenceRunCommon {
  seqLen: number;
  width: number;
  init: InitName;
  weightVar: number;
  biasVar: number;
  gain: number;
  batch: number;
  seed: number;
  dtype: DType;
  optimizer: OptimizerName;
  lr: number;
  schedule: ScheduleKind;
  /** warmup: steps of linear warmup (null unless the schedule is warmup). */
  warmupSteps: number | null;
  minLr: number;
  stepSize: number | null;
  gamma: number;
  steps: number;
  /** Only global-norm clipping (Pascanu et al. 2013) is offered for these families. */
  clip: "none" | "global-norm";
  clipThreshold: number;
  recordEvery: number;
  /** Test loss and accuracy every this many steps (0: at the end only). */
  evalEvery: number;
  /** Test examples of each evaluation (rounded up to whole batches for recurrent tasks). */
  testSize: number;
  out: string | null;
}

export interface RecurrentRunConfig extends SequenceRunCommon {
  arch: RecurrentKind;
  task: SequenceTaskName;
  activation: ActivationName;
  recurrentInit: InitName;
  recurrentGain: number;
  forgetBias: number;
  /** digits: a seeded subset of this many MNIST digits (null: all). */
  samples: number | null;
}

export interface TransformerRunConfig extends SequenceRunCommon {
  arch: "transformer";
  task: TaskKind;
  depth: number;
  heads: number;
  ffnWidth: number;
  normPosition: NormPosition;
  positions: PositionKind;
  activation: FfnActivation;
  vocab: number;
  /** Size of the fixed synthetic training set minibatches are drawn from. */
  trainSize: number;
}

export type SequenceRunConfig = RecurrentRunConfig | TransformerRunConfig;

export function isTransformerRun(c: SequenceRunConfig): c is TransformerRunConfig {
  return c.arch === "transformer";
}

/** One time step t of a recorded recurrent step (the probe's TimeStepMetrics less theory). */
export interface TimeStepRecord {
  t: number;
  gradHiddenNorm: number;
  gradHiddenMeanSq: number;
  hiddenStd: number;
  hiddenMeanSq: number;
  saturated: number;
  nonfinite: number;
  underflow: boolean;
}

/** One line of metrics.jsonl of a recurrent or transformer run. */
export interface SequenceRecord {
  step: number;
  /** Minibatch loss of the step (measured before its update, as the MLP's). */
  loss: number;
  lr: number;
  /** Steps clipped so far, this one included. */
  clipped: number;
  /** Global gradient norm over every parameter (readout/head included), before clipping. */
  gradNorm: number;
  /** Recurrent: every time step t = 1..T. */
  timeSteps?: TimeStepRecord[];
  /** Recurrent: |W_hh|_F before the update (a zero matrix passes a true zero gradient). */
  recurrentWeightNorm?: number;
  /** Transformer: every block, the probe's metrics (`probe --arch transformer --json` layers). */
  blocks?: TransformerBlockMetrics[];
  testLoss?: number;
  testAcc?: number;
}

export type SequenceStatus = "running" | "completed" | "exploded" | "interrupted" | "failed";

export interface SequenceExplosion {
  step: number;
  /** Where NaN/Inf was first seen, in words ("the loss", "dL/dh_t at time step 37", ...). */
  where: string;
  loss: number;
  message: string;
}

/** summary.json of a recurrent or transformer run. */
export interface SequenceSummary {
  status: SequenceStatus;
  arch: SequenceRunConfig["arch"];
  task: {
    name: string;
    description: string;
    seqLen: number;
    /** Loss of the best input-blind predictor (adding 1/6, copy ln K, ...), or null. */
    baselineLoss: number | null;
    /** Accuracy of guessing, or null for regression. */
    chanceAccuracy: number | null;
  };
  steps: number;
  stepsDone: number;
  initialLoss: number | null;
  finalLoss: number | null;
  finalLr: number | null;
  /** The last evaluation on the test examples (null before the first). */
  evalStep: number | null;
  testLoss: number | null;
  testAcc: number | null;
  clippedSteps: number;
  recordedSteps: number;
  explosion: SequenceExplosion | null;
  /** judgeRun over the recorded steps (unit "time step" or "block"). */
  verdict: Verdict | null;
  verdictMessage: string | null;
  elapsedMs: number;
  error?: string;
  message: string;
}
