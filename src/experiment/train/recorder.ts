import type { Mat } from "../../core/mat.ts";
import type { Network } from "../../core/network.ts";
import type { LayerMetrics } from "../../probe/layer-metrics.ts";
import { countNonFinite } from "../../probe/stats.ts";
import type { ProbeSummary, Verdict } from "../../verdict/summary.ts";
import type { DatasetTask } from "../datasets/index.ts";
import type { ResolvedTrainConfig } from "./train-config.ts";

/** The per-layer metrics of the contract plus the training-only update ratio. */
export interface LayerRecord extends LayerMetrics {
  /**
   * log10(std(delta W) / std(W)) for this step's update of the layer's weights, std(W) taken
   * before the update. -Infinity when the update was exactly zero; null on the explosion
   * step, where no update is made.
   */
  updateRatio: number | null;
}

/**
 * One line of metrics.jsonl: a recorded step. `step` counts optimizer steps from 1; `loss`
 * is the minibatch loss and the layers are measured on that minibatch's forward/backward
 * pass, before the step's update; the eval fields (present on evaluation steps) are measured
 * on the full sets after it.
 */
export interface TrainRecord {
  step: number;
  /** Epoch (1-based) the step's minibatch belongs to. */
  epoch: number;
  loss: number;
  lr: number;
  /** Steps clipped so far, this one included (cumulative). */
  clipped: number;
  /** Global L2 norm of all parameter gradients, before clipping. */
  gradNorm: number;
  layers: LayerRecord[];
  trainLoss?: number;
  trainAcc?: number;
  testLoss?: number;
  testAcc?: number;
}

/** Where a non-finite value was first found. */
export type ExplosionSite =
  | "z"
  | "a"
  | "output"
  | "loss"
  | "readout-gradient"
  | "dz"
  | "dW"
  | "db"
  | "dgamma"
  | "dbeta"
  | "gradient";

/**
 * A run that blew up: the step, its minibatch loss, and where NaN/Inf first appears in the
 * network, in the order of computation: the forward pass from the input (each hidden layer's
 * z, then its output a; `layer` is 1-based), then the network's output (layer null), then the
 * backward pass from the output down (the readout's gradient with layer null, then each
 * hidden layer's dz, dW, db, dgamma, dbeta). When every tensor is finite and only the loss
 * overflowed (a huge but finite output squared), `what` is "loss" with layer null; "gradient"
 * means only the global gradient norm overflowed.
 */
export interface Explosion {
  step: number;
  layer: number | null;
  what: ExplosionSite;
  loss: number;
  message: string;
}

export type TrainStatus = "running" | "completed" | "exploded" | "interrupted" | "failed";

/** summary.json: written at the start, periodically while running, and at the end. */
export interface TrainSummary {
  status: TrainStatus;
  /** Steps requested. */
  steps: number;
  /** Optimizer steps taken (an exploded step is counted but not applied). */
  stepsDone: number;
  epochs: number;
  /** Minibatch loss of the first and the last step taken (null before any step). */
  initialLoss: number | null;
  finalLoss: number | null;
  finalLr: number | null;
  /** The last evaluation on the full sets (null before the first). */
  evalStep: number | null;
  trainLoss: number | null;
  trainAcc: number | null;
  testLoss: number | null;
  testAcc: number | null;
  bestTestAcc: number | null;
  bestTestAccStep: number | null;
  /**
   * Networks with batch norm: the final evaluation above used running statistics recomputed
   * from the final weights ("precise BN"); `runningStats` is the same evaluation with the
   * momentum averages training left (PyTorch's eval mode). null without batch norm.
   */
  batchNorm: { recalibratedLayers: number; runningStats: BatchNormEvaluation } | null;
  clippedSteps: number;
  recordedSteps: number;
  explosion: Explosion | null;
  /** Gradient health (the flow verdict of one snapshot) of the first and last recorded steps. */
  gradients: { initial: ProbeSummary | null; final: ProbeSummary | null };
  /**
   * The run's verdict (src/verdict judgeRun: initialization and history, so a run that blew up
   * is "exploded"), written with the diagnosis when the run ends.
   */
  verdict?: Verdict;
  verdictMessage?: string;
  dataset: {
    name: string;
    task: DatasetTask;
    inputDim: number;
    outputDim: number;
    train: number;
    test: number;
    description: string;
  };
  /** Wall time of the run so far (the only field that differs between identical runs). */
  elapsedMs: number;
  error?: string;
  message: string;
}

/** Losses and accuracies of one evaluation on the full sets. */
export interface BatchNormEvaluation {
  trainLoss: number;
  trainAcc: number | null;
  testLoss: number | null;
  testAcc: number | null;
}

/** What a run writes as it goes (run-dir.ts writes a directory; the browser keeps memory). */
export interface RunSink {
  writeConfig(config: ResolvedTrainConfig): void;
  appendRecord(record: TrainRecord): void;
  writeSummary(summary: TrainSummary): void;
  close(): void;
}

function nonfinite(m: Mat): boolean {
  return countNonFinite(m.data, m.size) > 0;
}

/**
 * Where the first NaN/Inf is in a network after a forward (and possibly backward) pass: see
 * `Explosion` for the order. Returns layer null and "gradient" when only the global gradient
 * norm overflowed (every entry finite).
 */
export function locateNonFinite(
  network: Network,
  loss: number,
  output?: Mat,
): { layer: number | null; what: ExplosionSite } {
  const blocks = network.blocks;
  for (let l = 0; l < blocks.length; l++) {
    const block = blocks[l]!;
    if (nonfinite(block.z)) return { layer: l + 1, what: "z" };
    if (nonfinite(block.output)) return { layer: l + 1, what: "a" };
  }
  const readout = network.readout;
  if (output && nonfinite(output)) return { layer: null, what: "output" };
  if (readout) {
    for (const p of readout.params()) {
      if (nonfinite(p.grad)) return { layer: null, what: "readout-gradient" };
    }
  }
  for (let l = blocks.length - 1; l >= 0; l--) {
    const block = blocks[l]!;
    if (nonfinite(block.dz)) return { layer: l + 1, what: "dz" };
    for (const p of block.params()) {
      if (nonfinite(p.grad)) {
        const what = `d${p.name}` as ExplosionSite;
        return { layer: l + 1, what };
      }
    }
  }
  if (!Number.isFinite(loss)) return { layer: null, what: "loss" };
  return { layer: null, what: "gradient" };
}

/** True when a measured layer holds NaN/Inf or a value metric overflowed. */
export function layersNonFinite(layers: readonly LayerMetrics[]): boolean {
  for (const m of layers) {
    if (
      m.nonfinite > 0 ||
      !Number.isFinite(m.q) ||
      !Number.isFinite(m.gradPreactMeanSq) ||
      !Number.isFinite(m.gradWeightNorm) ||
      !Number.isFinite(m.gradBiasNorm) ||
      !Number.isFinite(m.weightNorm) ||
      !Number.isFinite(m.actMean) ||
      !Number.isFinite(m.actStd)
    ) {
      return true;
    }
  }
  return false;
}

/** One sentence about an explosion. */
export function describeExplosion(e: Omit<Explosion, "message">): string {
  const where =
    e.layer === null
      ? e.what === "loss"
        ? "in the loss (every hidden layer finite)"
        : e.what === "output"
          ? "in the readout (every hidden layer finite)"
          : e.what === "readout-gradient"
            ? "in the readout's gradient"
            : "in the global gradient norm (it overflowed float64)"
      : `in ${e.what} of layer ${e.layer}`;
  return `exploded at step ${e.step}: first NaN/Inf ${where}`;
}
