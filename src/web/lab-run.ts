import { getActivation } from "../core/activations.ts";
import { Mat } from "../core/mat.ts";
import {
  ConfigError,
  type ProbeConfig,
  resolveProbeConfig,
  resolveTrainConfig,
} from "../experiment/config.ts";
import { type Dataset, loadSyntheticDataset } from "../experiment/datasets/browser.ts";
import {
  type DecisionGrid,
  type GridBounds,
  GridEvaluation,
  gridBounds,
  gridSideFor,
} from "../experiment/decision-grid.ts";
import { type ProbeResult, runProbe } from "../experiment/probe-run.ts";
import {
  effectiveWeightVar,
  type ProbeTheory,
  predictProbe,
  theoryUnavailable,
} from "../experiment/probe-theory.ts";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import { datasetOptions, type ResolvedTrainConfig } from "../experiment/train/train-config.ts";
import { Trainer } from "../experiment/train/trainer.ts";
import {
  type GradientTheory,
  probeGradientTheory,
  trainGradientTheory,
} from "../report/figures-for/theory.ts";
import { type Phase, theoryReport } from "../theory/mean-field.ts";
import { type LabInput, toProbeInput, toTrainInput } from "./lab-options.ts";

/**
 * One lab run, DOM-free: the probe of the network at initialization (the same numbers as
 * `gradscope probe` / runProbe), its mean-field prediction, and a Trainer on a generated
 * dataset (the same numbers as `gradscope train` / train()). The Web Worker wraps it; tests
 * drive it directly in Node.
 */

/** Networks the lab refuses to build (bytes of buffers): a browser tab is not a server. */
export const LAB_MEMORY_LIMIT = 1024 ** 3;

export interface MeanFieldLine {
  weightVar: number;
  biasVar: number;
  qStar: number;
  chi1: number;
  phase: Phase;
  /** Layers over which E[dz^2] changes by e (negative: grows). */
  xiGrad: number;
}

export interface ProbeView {
  config: ProbeConfig;
  result: ProbeResult;
  /** Mean-field prediction per layer, or null with the reason. */
  theory: ProbeTheory | null;
  /** The same prediction as the figures plot it: E[dz^2] and the expected ||dW|| per layer. */
  gradientTheory: GradientTheory | null;
  theoryReason: string | null;
  /** chi1 and phase of (activation, sigma_w^2, sigma_b^2), for plain networks. */
  meanField: MeanFieldLine | null;
}

/** Values of one layer's activations phi(u), for the histograms. */
export interface ActivationSample {
  layer: number;
  values: Float64Array;
  saturated: number;
  dead: number;
}

/** The training points of a 2-D classification set, as the decision-boundary figure draws them. */
export interface BoundaryPoint {
  x: number;
  y: number;
  label: number;
}

/** Run state after each burst of steps. */
export interface RunStatus {
  step: number;
  steps: number;
  loss: number;
  finished: boolean;
  exploded: boolean;
  /** The run summary's sentence (completed, exploded, running ...). */
  message: string;
}

export function probeView(
  input: Readonly<LabInput>,
  memoryLimitBytes = LAB_MEMORY_LIMIT,
): ProbeView {
  const config = resolveProbeConfig(toProbeInput(input), "key");
  const result = runProbe(config, { memoryLimitBytes });
  const theoryReason = theoryUnavailable(config);
  const theory = theoryReason === null ? predictProbe(config) : null;
  let meanField: MeanFieldLine | null = null;
  if (theoryReason === null && !config.residual) {
    const weightVar = effectiveWeightVar(config);
    const r = theoryReport(
      getActivation(config.activation, { slope: config.slope }),
      weightVar,
      config.biasVar,
    );
    meanField = {
      weightVar,
      biasVar: config.biasVar,
      qStar: r.qStar,
      chi1: r.chi1,
      phase: r.phase,
      xiGrad: r.depthScales.xiGrad,
    };
  }
  const gradientTheory = probeGradientTheory(config);
  return { config, result, theory, gradientTheory, theoryReason, meanField };
}

export class LabRun {
  readonly input: LabInput;
  readonly dataset: Dataset;
  readonly trainer: Trainer;
  readonly probe: ProbeView;
  /** The box the decision grid covers, or null when the data is not 2-D classification. */
  readonly boundaryBounds: GridBounds | null;

  /** Throws ConfigError / DatasetError (one line) for a configuration the lab cannot run. */
  constructor(input: Readonly<LabInput>, memoryLimitBytes = LAB_MEMORY_LIMIT) {
    this.input = { ...input };
    const base = resolveTrainConfig(toTrainInput(input), "key");
    this.dataset = loadSyntheticDataset(base.dataset, datasetOptions(base));
    this.trainer = new Trainer(base, this.dataset, { memoryLimitBytes });
    this.probe = probeView(input, memoryLimitBytes);
    const d = this.dataset;
    this.boundaryBounds =
      d.task === "classification" && d.inputDim === 2 ? gridBounds(d.trainX) : null;
  }

  /** The training points with their classes, or null when there is no decision boundary. */
  boundaryPoints(): BoundaryPoint[] | null {
    const d = this.dataset;
    const labels = d.labels?.train;
    if (!this.boundaryBounds || !labels) return null;
    const x = d.trainX.data;
    return Array.from(labels, (label, r) => ({ x: x[2 * r]!, y: x[2 * r + 1]!, label }));
  }

  /**
   * A pending evaluation of the network's predicted class over a grid around the data (eval
   * mode; 60 x 60 for small networks, coarser for big ones), or null when the data is not 2-D
   * classification. Training must wait until it is done, and it overwrites the layers'
   * activation buffers: sample activations() first.
   */
  startDecisionGrid(): GridEvaluation | null {
    if (!this.boundaryBounds) return null;
    const c = this.config;
    return new GridEvaluation(this.trainer.network, this.boundaryBounds, {
      nx: gridSideFor(c.depth, c.width),
      batch: c.batch,
    });
  }

  /** The decision grid now, in one go (null: no 2-D classification data). */
  decisionGrid(): DecisionGrid | null {
    const job = this.startDecisionGrid();
    if (!job) return null;
    job.advance();
    return job.result();
  }

  get config(): ResolvedTrainConfig {
    return this.trainer.config;
  }

  /**
   * Take up to `maxSteps` steps, stopping early after `budgetMs` of work or when the run
   * finishes. Returns the recorded steps among them.
   */
  run(maxSteps: number, budgetMs = Number.POSITIVE_INFINITY): TrainRecord[] {
    const records: TrainRecord[] = [];
    const start = performance.now();
    for (let i = 0; i < maxSteps && !this.trainer.finished; i++) {
      const record = this.trainer.step();
      if (record) records.push(record);
      if (performance.now() - start >= budgetMs) break;
    }
    return records;
  }

  /**
   * The mean-field shape of this run's gradients at initialization, matched to the measured
   * last layer of `first` (the record of step 1), or null when the theory does not apply.
   */
  trainTheory(first: TrainRecord): GradientTheory | null {
    const x = this.dataset.trainX;
    let sum = 0;
    const n = x.rows * x.cols;
    for (let i = 0; i < n; i++) sum += x.data[i]! * x.data[i]!;
    return trainGradientTheory(
      this.config,
      this.dataset.inputDim,
      first.layers,
      n > 0 ? sum / n : 1,
    );
  }

  status(): RunStatus {
    const t = this.trainer;
    const status = t.explosion ? "exploded" : t.finished ? "completed" : "running";
    return {
      step: t.stepsDone,
      steps: t.config.steps,
      loss: t.lastLoss,
      finished: t.finished,
      exploded: t.explosion !== null,
      message: t.summary(status).message,
    };
  }

  /**
   * Before the first step: one forward pass of the untrained network over the first training
   * batch, in eval mode (nothing the training depends on changes; batch norm uses its initial
   * running statistics), so the histograms show the network at initialization.
   */
  private forwardFirstBatch(): void {
    const net = this.trainer.network;
    const x = this.dataset.trainX;
    const rows = Math.min(this.config.batch, x.rows);
    const batch = Mat.zeros(rows, x.cols, net.dtype);
    for (let i = 0; i < rows * x.cols; i++) batch.data[i] = x.data[i]!;
    net.forward(batch, "eval");
  }

  /**
   * Activations of about `count` layers spread from the first to the last, from the latest
   * forward pass, with the saturated and dead fractions of `record` (the latest measured).
   */
  activations(record: TrainRecord | null, count = 6): ActivationSample[] {
    const blocks = this.trainer.network.blocks;
    const L = blocks.length;
    if (L === 0) return [];
    if (this.trainer.stepsDone === 0) this.forwardFirstBatch();
    const picks = new Set<number>();
    const n = Math.min(count, L);
    for (let i = 0; i < n; i++) picks.add(n === 1 ? L : Math.round(1 + (i * (L - 1)) / (n - 1)));
    return [...picks].map((layer) => {
      const phi = blocks[layer - 1]!.phi;
      const m = record?.layers[layer - 1];
      return {
        layer,
        values: Float64Array.from(phi.data.subarray(0, phi.rows * phi.cols)),
        saturated: m?.saturated ?? 0,
        dead: m?.dead ?? 0,
      };
    });
  }
}

/** A one-line reason for an error thrown while building or running a lab run. */
export function describeLabError(err: unknown): { message: string; known: boolean } {
  if (err instanceof ConfigError) return { message: err.message, known: true };
  if (err instanceof Error && err.name === "DatasetError")
    return { message: err.message, known: true };
  return { message: err instanceof Error ? err.message : String(err), known: false };
}
