import { BatchNorm } from "../../core/layers/batch-norm.ts";
import type { Param } from "../../core/layers/layer.ts";
import { createLoss, type Loss } from "../../core/loss.ts";
import type { Network } from "../../core/network.ts";
import { normFromSumOfSquares } from "../../core/optim/grad-norm.ts";
import {
  clipValue,
  createOptimizer,
  gradNorm,
  learningRate,
  type Optimizer,
  type OptimizerOptions,
  type OptimizerState,
  type Schedule,
} from "../../core/optim/index.ts";
import { clipToNorm, gradsFinite } from "../../core/optim/scale-grads.ts";
import { Rng } from "../../core/rng.ts";
import { type LayerMetrics, MetricScratch } from "../../probe/layer-metrics.ts";
import { measureNetwork } from "../../probe/measure.ts";
import { tensorMoments } from "../../probe/stats.ts";
import { type ProbeSummary, summarize } from "../../verdict/summary.ts";
import {
  ConfigError,
  type NetworkConfig,
  resolveTrainConfig,
  type TrainConfig,
} from "../config.ts";
import type { Dataset } from "../datasets/index.ts";
import { networkFromConfig } from "../network-from-config.ts";
import { checkMemory, DEFAULT_MEMORY_LIMIT } from "../probe-run.ts";
import { MinibatchSampler, type SamplerState } from "./batches.ts";
import { diagnoseTraining } from "./diagnose-training.ts";
import { type Evaluation, Evaluator } from "./evaluate.ts";
import { recalibrateBatchNorm } from "./recalibrate-bn.ts";
import {
  type BatchNormEvaluation,
  describeExplosion,
  type Explosion,
  type LayerRecord,
  layersNonFinite,
  locateNonFinite,
  type RunSink,
  type TrainRecord,
  type TrainStatus,
  type TrainSummary,
} from "./recorder.ts";
import {
  completeTrainConfig,
  datasetOptions,
  type ResolvedTrainConfig,
  scheduleOf,
} from "./train-config.ts";

/** The network options of a training config, as the probe's NetworkConfig (for memory). */
export function trainNetworkConfig(config: ResolvedTrainConfig, dataset: Dataset): NetworkConfig {
  return {
    depth: config.depth,
    width: config.width,
    batch: config.batch,
    activation: config.activation,
    init: config.init,
    weightVar: config.weightVar,
    biasVar: config.biasVar,
    gain: config.gain,
    slope: config.slope,
    batchNorm: config.batchNorm,
    layerNorm: config.layerNorm,
    residual: config.residual,
    branchScale: config.branchScale,
    seed: config.seed,
    dtype: config.dtype,
    loss: config.loss,
    dataset: "gaussian",
    inputDim: dataset.inputDim,
    outputs: dataset.outputDim,
  };
}

/**
 * The network of a training config: fan-in of the first layer from the dataset's inputDim, a
 * readout of its outputDim. The seed's streams are forked as in `buildProbe` (weights first),
 * so step 1 of a run starts from the very weights `gradscope probe` measures with that seed;
 * the next fork shuffles the minibatches.
 */
export function buildTrainNetwork(
  config: ResolvedTrainConfig,
  dataset: Dataset,
): { network: Network; shuffleRng: Rng } {
  const master = new Rng(config.seed);
  const weightRng = master.fork();
  const shuffleRng = master.fork();
  const network = networkFromConfig(config, dataset.inputDim, dataset.outputDim, weightRng);
  return { network, shuffleRng };
}

/**
 * Everything a Trainer needs to continue bit for bit (checkpoint.ts serializes it): the
 * parameters and batch-norm running statistics (live copies of their typed arrays, by name),
 * the optimizer's state, the sampler's position and RNG, and the counters and last values
 * that records and the summary report.
 */
export interface TrainerState {
  stepsDone: number;
  clippedSteps: number;
  recordedSteps: number;
  initialLoss: number | null;
  lastLoss: number;
  lastLr: number;
  lastGradNorm: number;
  lastEval: EvalState | null;
  bestTestAcc: { acc: number; step: number } | null;
  explosion: Explosion | null;
  initialGradients: ProbeSummary | null;
  finalGradients: ProbeSummary | null;
  /** Parameter values by name, then "layerN.runningMean" / "layerN.runningVar". */
  tensors: Record<string, Float32Array | Float64Array>;
  optimizer: OptimizerState;
  sampler: SamplerState;
  /**
   * The weight sums the last update took for the next recorded step (see Trainer.weightSums).
   * A restore that recomputed them would sum in another order and differ in the last bit, so
   * they travel with the checkpoint. Absent when the next step is not recorded.
   */
  weightSums?: { forStep: number; sums: Float64Array };
}

/** The last evaluation on the full sets. */
export interface EvalState {
  step: number;
  train: Evaluation;
  test: Evaluation | null;
}

/**
 * Training step by step, for the CLI, the browser lab and experiments that drive the loop
 * themselves. `step()` takes one optimizer step; in steady state (a step that is neither
 * recorded nor evaluated) it allocates nothing: the minibatch Mats, the network's buffers, the
 * loss's gradient and the optimizer's state are all allocated once.
 *
 * Each step: draw a minibatch; forward (train mode), loss, backward; global gradient norm;
 * on recorded steps measure every layer (the contract's metrics) before the update; stop
 * with an explosion when the loss, a gradient or a measured layer holds NaN/Inf; clip;
 * optimizer step (with the update's std on recorded steps, for updateRatio); on evaluation
 * steps evaluate the full train and test sets in eval mode after the update.
 */
export class Trainer {
  readonly config: ResolvedTrainConfig;
  readonly dataset: Dataset;
  readonly network: Network;
  readonly params: readonly Param[];
  readonly optimizer: Optimizer;
  readonly loss: Loss;
  readonly sampler: MinibatchSampler;
  readonly schedule: Schedule;
  private readonly evaluator: Evaluator;
  private readonly scratch = new MetricScratch();
  /** Index in `params` of each hidden layer's W. */
  private readonly weightIndex: Int32Array;
  private readonly updateStd: Float64Array;
  private readonly weightStd: Float64Array;
  /** tensorMoments of each parameter's gradient, taken by recorded steps' norm pass. */
  private readonly gradMoments: Float64Array[];
  /**
   * Sum and sum of squares of every parameter after the last update ([2i], [2i + 1]; NaN where
   * the optimizer does not provide them), valid for the measurement of step `weightSumsFor`
   * only (0: none). Only the trainer changes weights between steps; restoring a checkpoint
   * resets it.
   */
  private readonly weightSums: Float64Array;
  private weightSumsFor = 0;
  /** The [sum, sum of squares, unused] views of weightSums handed to the measurement. */
  private readonly weightMoments: Float64Array[];

  /** Optimizer steps taken. */
  stepsDone = 0;
  clippedSteps = 0;
  recordedSteps = 0;
  initialLoss: number | null = null;
  lastLoss = Number.NaN;
  lastLr = Number.NaN;
  lastGradNorm = Number.NaN;
  lastEval: EvalState | null = null;
  /**
   * Set by the final evaluation of a network with batch norm: its running statistics were
   * recomputed from the final weights first ("precise BN", recalibrate-bn.ts), and this is the
   * evaluation with the momentum averages they replaced (what PyTorch's eval mode would give).
   */
  batchNormEval: { layers: number; runningStats: EvalState } | null = null;
  bestTestAcc: { acc: number; step: number } | null = null;
  explosion: Explosion | null = null;
  initialGradients: ProbeSummary | null = null;
  finalGradients: ProbeSummary | null = null;

  /**
   * `config` is validated (resolveTrainConfig) and completed against the dataset
   * (completeTrainConfig). Throws a ConfigError when the network would need more than
   * `memoryLimitBytes`, or the dataset does not suit the loss.
   */
  constructor(
    config: Readonly<Partial<TrainConfig>>,
    dataset: Dataset,
    options: { memoryLimitBytes?: number } = {},
  ) {
    const base = resolveTrainConfig(config, "key");
    if (base.loss === "cross-entropy" && dataset.task !== "classification") {
      throw new ConfigError(
        `loss cross-entropy needs a classification dataset; ${dataset.name} is regression (use mse)`,
      );
    }
    const resolved = completeTrainConfig(base, dataset);
    checkMemory(
      trainNetworkConfig(resolved, dataset),
      options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT,
    );
    this.config = resolved;
    this.dataset = dataset;
    const { network, shuffleRng } = buildTrainNetwork(resolved, dataset);
    this.network = network;
    this.params = network.params();
    const hyper: OptimizerOptions = { weightDecay: resolved.weightDecay };
    if (resolved.momentum !== null) hyper.momentum = resolved.momentum;
    this.optimizer = createOptimizer(resolved.optimizer, hyper);
    this.loss = createLoss(resolved.loss, resolved.dtype);
    this.sampler = new MinibatchSampler(dataset.trainX, dataset.trainY, resolved.batch, shuffleRng);
    this.schedule = scheduleOf(resolved);
    learningRate(this.schedule, resolved.lr, 0); // validate the schedule now
    this.evaluator = new Evaluator(
      network,
      resolved.loss,
      dataset.task === "classification",
      resolved.batch,
      dataset.inputDim,
    );
    this.weightIndex = new Int32Array(network.depth);
    for (let l = 0; l < network.depth; l++) {
      this.weightIndex[l] = this.params.findIndex((p) => p.name === `layer${l + 1}.W`);
    }
    this.updateStd = new Float64Array(this.params.length);
    this.weightStd = new Float64Array(network.depth);
    this.gradMoments = this.params.map(() => new Float64Array(3));
    this.weightSums = new Float64Array(2 * this.params.length);
    this.weightMoments = Array.from(this.weightIndex, () => new Float64Array(3));
  }

  /** True once every step is taken or the run exploded. */
  get finished(): boolean {
    return this.explosion !== null || this.stepsDone >= this.config.steps;
  }

  /** Epochs started so far. */
  get epoch(): number {
    return this.sampler.epoch;
  }

  /** Whether step `n` (1-based) is measured and written to metrics.jsonl. */
  isRecordStep(n: number): boolean {
    return n === 1 || n % this.config.recordEvery === 0 || this.isEvalStep(n);
  }

  /** Whether step `n` (1-based) evaluates the full sets (always the last step). */
  isEvalStep(n: number): boolean {
    const k = this.config.evalEvery;
    return n === this.config.steps || (k > 0 && n % k === 0);
  }

  /**
   * Take one optimizer step. Returns the step's record when it is recorded (or exploded),
   * else null. Throws when the run is already finished.
   */
  step(): TrainRecord | null {
    if (this.finished) throw new Error("train: the run is finished");
    const config = this.config;
    const params = this.params;
    const n = this.stepsDone + 1;
    const lr = learningRate(this.schedule, config.lr, n - 1);
    this.sampler.next();
    const y = this.network.forward(this.sampler.x, "train");
    const loss = this.loss.forward(y, this.sampler.y);
    this.network.backward(this.loss.backward());
    this.stepsDone = n;
    this.lastLoss = loss;
    this.lastLr = lr;
    if (this.initialLoss === null) this.initialLoss = loss;
    // A step planned for recording takes the gradients' moments along with their norm.
    const planned = this.isRecordStep(n);
    const norm = planned ? this.gradNormAndMoments() : gradNorm(params);
    this.lastGradNorm = norm;
    let finite =
      Number.isFinite(loss) &&
      (Number.isFinite(norm) || (norm === Infinity && gradsFinite(params, 0, params.length)));
    const evaluate = this.isEvalStep(n);
    const record = !finite || planned;
    let layers: LayerMetrics[] | null = null;
    if (record) {
      if (this.weightSumsFor === n) this.offerWeightSums();
      layers = measureNetwork(this.network, this.scratch);
      this.scratch.knownMoments.clear();
      if (finite && layersNonFinite(layers)) finite = false;
      const health = summarize(layers, this.config.dtype);
      if (this.initialGradients === null) this.initialGradients = health;
      this.finalGradients = health;
      this.recordedSteps++;
    }
    if (!finite) {
      const site = locateNonFinite(this.network, loss, y);
      const e = { step: n, layer: site.layer, what: site.what, loss };
      this.explosion = { ...e, message: describeExplosion(e) };
      return this.makeRecord(n, layers!, false, false);
    }
    if (record) {
      // std(W) as measureNetwork just computed it for gradToWeight (same sums, same formula as
      // meanStd): W is unchanged until the optimizer step below.
      for (let l = 0; l < this.weightIndex.length; l++) {
        this.weightStd[l] = this.scratch.weightStd[l]!;
      }
    }
    if (this.clip(norm)) this.clippedSteps++;
    // When the next step is recorded, this update's pass also sums the new weights for it.
    const nextRecorded = n < config.steps && this.isRecordStep(n + 1);
    if (nextRecorded) this.weightSums.fill(Number.NaN);
    this.optimizer.step(
      params,
      lr,
      record ? this.updateStd : undefined,
      nextRecorded ? this.weightSums : undefined,
    );
    this.weightSumsFor = nextRecorded ? n + 1 : 0;
    if (evaluate) {
      if (n === config.steps) this.evaluateFinal(n);
      else this.evaluateNow(n);
    }
    return record ? this.makeRecord(n, layers!, true, evaluate) : null;
  }

  /**
   * gradNorm(params) from one read of each gradient that also takes the moments measureBlock
   * needs (sum, sum of squares, smallest nonzero magnitude), handed to it through the metric
   * scratch so a recorded step reads dL/dW and dL/db once, not twice.
   */
  private gradNormAndMoments(): number {
    const params = this.params;
    const known = this.scratch.knownMoments;
    let sum = 0;
    for (let i = 0; i < params.length; i++) {
      const g = params[i]!.grad;
      const m = this.gradMoments[i]!;
      tensorMoments(g.data, g.size, m);
      known.set(g.data, m);
      sum += m[1]!;
    }
    return normFromSumOfSquares(sum, params);
  }

  /** Hands the hidden layers' weight sums from the last update to the measurement. */
  private offerWeightSums(): void {
    const known = this.scratch.knownMoments;
    for (let l = 0; l < this.weightIndex.length; l++) {
      const i = this.weightIndex[l]!;
      const sum = this.weightSums[2 * i]!;
      if (Number.isNaN(sum)) continue;
      const m = this.weightMoments[l]!;
      m[0] = sum;
      m[1] = this.weightSums[2 * i + 1]!;
      m[2] = Number.NaN; // not a bound on |W|: measureBlock reads only the sums of W
      known.set(this.params[i]!.value.data, m);
    }
  }

  /** The live tensors a checkpoint holds: parameters, then batch-norm running statistics. */
  private stateTensors(): Map<string, Float32Array | Float64Array> {
    const out = new Map<string, Float32Array | Float64Array>();
    for (const p of this.params) out.set(p.name, p.value.data);
    this.network.blocks.forEach((block, l) => {
      const norm = block.norm;
      if (norm && "runningMean" in norm) {
        out.set(`layer${l + 1}.runningMean`, norm.runningMean.data);
        out.set(`layer${l + 1}.runningVar`, norm.runningVar.data);
      }
    });
    return out;
  }

  /** A deep copy of the trainer's full state (see TrainerState), for checkpoints. */
  exportState(): TrainerState {
    const tensors: Record<string, Float32Array | Float64Array> = {};
    for (const [name, data] of this.stateTensors()) tensors[name] = data.slice();
    return structuredClone({
      stepsDone: this.stepsDone,
      clippedSteps: this.clippedSteps,
      recordedSteps: this.recordedSteps,
      initialLoss: this.initialLoss,
      lastLoss: this.lastLoss,
      lastLr: this.lastLr,
      lastGradNorm: this.lastGradNorm,
      lastEval: this.lastEval,
      bestTestAcc: this.bestTestAcc,
      explosion: this.explosion,
      initialGradients: this.initialGradients,
      finalGradients: this.finalGradients,
      tensors,
      optimizer: this.optimizer.state(),
      sampler: this.sampler.state(),
      ...(this.weightSumsFor > 0
        ? { weightSums: { forStep: this.weightSumsFor, sums: this.weightSums.slice() } }
        : {}),
    });
  }

  /**
   * Restore a state from `exportState()` of a trainer with the same config and dataset, so
   * the next `step()` is the one that trainer would have taken. Throws a RangeError when the
   * state does not fit this network (names, sizes, dtypes) or optimizer.
   */
  importState(state: TrainerState): void {
    const live = this.stateTensors();
    const names = Object.keys(state.tensors);
    if (names.length !== live.size) {
      throw new RangeError(`checkpoint holds ${names.length} tensors, the network ${live.size}`);
    }
    for (const [name, data] of live) {
      const saved = state.tensors[name];
      if (!saved) throw new RangeError(`checkpoint lacks tensor ${name}`);
      if (saved.length !== data.length || saved.constructor !== data.constructor) {
        throw new RangeError(`checkpoint tensor ${name} does not fit the network`);
      }
    }
    if (state.optimizer.name !== this.optimizer.name) {
      throw new RangeError(
        `checkpoint optimizer ${state.optimizer.name} is not ${this.optimizer.name}`,
      );
    }
    this.sampler.setState(state.sampler);
    for (const [name, data] of live) data.set(state.tensors[name]!);
    this.optimizer.load(state.optimizer);
    const s = structuredClone(state);
    this.stepsDone = s.stepsDone;
    const sums = s.weightSums;
    if (sums && sums.forStep === s.stepsDone + 1 && sums.sums.length === this.weightSums.length) {
      this.weightSums.set(sums.sums);
      this.weightSumsFor = sums.forStep;
    } else {
      this.weightSumsFor = 0; // the weights were replaced; the measurement sums them itself
    }
    this.clippedSteps = s.clippedSteps;
    this.recordedSteps = s.recordedSteps;
    this.initialLoss = s.initialLoss;
    this.lastLoss = s.lastLoss;
    this.lastLr = s.lastLr;
    this.lastGradNorm = s.lastGradNorm;
    this.lastEval = s.lastEval;
    this.bestTestAcc = s.bestTestAcc;
    this.explosion = s.explosion;
    this.initialGradients = s.initialGradients;
    this.finalGradients = s.finalGradients;
  }

  /** Apply the configured clipping to the current gradients; true when anything changed. */
  private clip(norm: number): boolean {
    const { clip, clipThreshold } = this.config;
    const params = this.params;
    switch (clip) {
      case "none":
        return false;
      case "global-norm":
        return clipToNorm(params, 0, params.length, clipThreshold, norm) !== 1;
      case "layer-norm": {
        let any = false;
        for (let i = 0; i < params.length; i++) {
          const f = clipToNorm(params, i, i + 1, clipThreshold, gradNorm(params, i, i + 1));
          if (f !== 1) any = true;
        }
        return any;
      }
      case "value":
        return clipValue(params, clipThreshold) > 0;
    }
  }

  /**
   * The run's last evaluation. With batch norm, the running averages (momentum 0.1) lag the
   * final weights, by a lot in deep networks trained with large steps (a 20-layer sigmoid net:
   * eval loss 1.3 on its own training set, 0.21 with recomputed statistics), so the final
   * numbers would judge the averages' lag rather than the network: its statistics are
   * recomputed from the final weights over the training set first, and the evaluation with
   * the old averages is kept in `batchNormEval` for comparison.
   */
  private evaluateFinal(step: number): void {
    const d = this.dataset;
    const hasBatchNorm = this.network.blocks.some((b) => b.norm instanceof BatchNorm);
    if (hasBatchNorm && this.explosion === null) {
      const runningStats: EvalState = {
        step,
        train: this.evaluator.evaluate(d.trainX, d.trainY),
        test: d.testX.rows > 0 ? this.evaluator.evaluate(d.testX, d.testY) : null,
      };
      const layers = recalibrateBatchNorm(this.network, d.trainX, this.config.batch);
      if (layers > 0) this.batchNormEval = { layers, runningStats };
    }
    this.evaluateNow(step);
  }

  /** Evaluate the full train and test sets now (eval mode), as after step `step`. */
  evaluateNow(step: number = this.stepsDone): EvalState {
    const d = this.dataset;
    const train = this.evaluator.evaluate(d.trainX, d.trainY);
    const test = d.testX.rows > 0 ? this.evaluator.evaluate(d.testX, d.testY) : null;
    this.lastEval = { step, train, test };
    const acc = test?.accuracy;
    if (
      acc !== undefined &&
      acc !== null &&
      (this.bestTestAcc === null || acc > this.bestTestAcc.acc)
    ) {
      this.bestTestAcc = { acc, step };
    }
    return this.lastEval;
  }

  private makeRecord(
    n: number,
    layers: readonly LayerMetrics[],
    updated: boolean,
    evaluated: boolean,
  ): TrainRecord {
    const out: LayerRecord[] = layers.map((m, l) => ({
      ...m,
      updateRatio: updated
        ? Math.log10(this.updateStd[this.weightIndex[l]!]! / this.weightStd[l]!)
        : null,
    }));
    const record: TrainRecord = {
      step: n,
      epoch: this.sampler.epoch,
      loss: this.lastLoss,
      lr: this.lastLr,
      clipped: this.clippedSteps,
      gradNorm: this.lastGradNorm,
      layers: out,
    };
    const e = this.lastEval;
    if (evaluated && e) {
      record.trainLoss = e.train.loss;
      if (e.train.accuracy !== null) record.trainAcc = e.train.accuracy;
      if (e.test) {
        record.testLoss = e.test.loss;
        if (e.test.accuracy !== null) record.testAcc = e.test.accuracy;
      }
    }
    return record;
  }

  /** The summary of the run so far, with the given status. */
  summary(status: TrainStatus, elapsedMs = 0, error?: string): TrainSummary {
    const d = this.dataset;
    const e = this.lastEval;
    const done = this.stepsDone > 0;
    const summary: TrainSummary = {
      status,
      steps: this.config.steps,
      stepsDone: this.stepsDone,
      epochs: this.sampler.epoch,
      initialLoss: this.initialLoss,
      finalLoss: done ? this.lastLoss : null,
      finalLr: done ? this.lastLr : null,
      evalStep: e ? e.step : null,
      trainLoss: e ? e.train.loss : null,
      trainAcc: e ? e.train.accuracy : null,
      testLoss: e?.test ? e.test.loss : null,
      testAcc: e?.test ? e.test.accuracy : null,
      bestTestAcc: this.bestTestAcc ? this.bestTestAcc.acc : null,
      bestTestAccStep: this.bestTestAcc ? this.bestTestAcc.step : null,
      batchNorm: this.batchNormEval
        ? {
            recalibratedLayers: this.batchNormEval.layers,
            runningStats: evalNumbers(this.batchNormEval.runningStats),
          }
        : null,
      clippedSteps: this.clippedSteps,
      recordedSteps: this.recordedSteps,
      explosion: this.explosion,
      gradients: { initial: this.initialGradients, final: this.finalGradients },
      dataset: {
        name: d.name,
        task: d.task,
        inputDim: d.inputDim,
        outputDim: d.outputDim,
        train: d.trainX.rows,
        test: d.testX.rows,
        description: d.description,
      },
      elapsedMs,
      message: "",
    };
    if (error !== undefined) summary.error = error;
    summary.message = describeRun(summary);
    return summary;
  }
}

function fmt(v: number | null, digits = 4): string {
  if (v === null) return "n/a";
  return Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v);
}

/** One sentence about a run. */
export function describeRun(s: TrainSummary): string {
  const evalPart =
    s.evalStep === null
      ? ""
      : `; train loss ${fmt(s.trainLoss)}${s.trainAcc !== null ? ` acc ${fmt(s.trainAcc, 3)}` : ""}` +
        (s.testLoss !== null
          ? `, test loss ${fmt(s.testLoss)}${s.testAcc !== null ? ` acc ${fmt(s.testAcc, 3)}` : ""}`
          : "");
  switch (s.status) {
    case "exploded":
      return `${s.explosion?.message ?? "exploded"} (loss ${fmt(s.explosion?.loss ?? null)})`;
    case "interrupted":
      return `interrupted after ${s.stepsDone} of ${s.steps} steps; last loss ${fmt(s.finalLoss)}${evalPart}`;
    case "failed":
      return `failed after ${s.stepsDone} of ${s.steps} steps: ${s.error ?? "unknown error"}`;
    case "running":
      return `running: ${s.stepsDone} of ${s.steps} steps; last loss ${fmt(s.finalLoss)}${evalPart}`;
    case "completed":
      return `completed ${s.steps} steps: minibatch loss ${fmt(s.initialLoss)} -> ${fmt(s.finalLoss)}${evalPart}`;
  }
}

/** Live state for progress displays; one object, updated in place after every step. */
export interface TrainProgress {
  step: number;
  steps: number;
  epoch: number;
  loss: number;
  lr: number;
  gradNorm: number;
  clippedSteps: number;
  trainLoss: number | null;
  trainAcc: number | null;
  testLoss: number | null;
  testAcc: number | null;
  elapsedMs: number;
}

export interface TrainOptions {
  /** Data already loaded (the browser, tests, sweeps); otherwise loaded from the config. */
  dataset?: Dataset;
  /** Write config.json, metrics.jsonl and summary.json into this directory (Node only). */
  runDir?: string;
  /** Or any other writer of the run as it goes. */
  sink?: RunSink;
  /** Aborting stops the run after the current step, with status "interrupted". */
  signal?: AbortSignal;
  /** Called with each recorded step (after it is written). */
  onRecord?: (record: TrainRecord) => void;
  /** Called after every step with the same, updated object. */
  onProgress?: (progress: Readonly<TrainProgress>) => void;
  /** Refuse networks whose buffers exceed this (default 8 GiB). */
  memoryLimitBytes?: number;
  /**
   * A resumed run's records before the resume point: with them the summary's verdict judges
   * the whole run (without them a resumed run's summary carries no verdict).
   */
  priorRecords?: readonly TrainRecord[];
  /** Keep every record in TrainResult.records (default true). */
  keepRecords?: boolean;
  /** Rewrite summary.json at least this often while running (default 5000 ms). */
  summaryEveryMs?: number;
  /** Give the event loop a turn this often, so signals and UIs are served (default 20 ms). */
  yieldEveryMs?: number;
  /** Continue from this state (exportState of a trainer with the same config and data). */
  resumeState?: TrainerState;
  /**
   * Checkpointing: `write` is called after every `every`-th step and every evaluation step
   * (once the step's record is written) with reason "periodic", and with "interrupted" when
   * the run is aborted. Not called once the run is finished.
   */
  checkpoint?: {
    every: number;
    write: (trainer: Trainer, reason: "periodic" | "interrupted") => void;
  };
}

export interface TrainResult {
  config: ResolvedTrainConfig;
  summary: TrainSummary;
  /** The recorded steps (empty when keepRecords is false). */
  records: TrainRecord[];
  /** The run directory written, if any. */
  runDir: string | null;
  /** The trained network (its state after the last step). */
  network: Network;
}

const now = (): number => globalThis.performance.now();

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Train a network as `config` says (partial configs take the defaults of TRAIN_OPTIONS) and
 * record gradient flow on the way. Resolves when the run completes, explodes (status
 * "exploded": an explosion is a finding, not an error) or is aborted (status "interrupted");
 * whatever was recorded is written first. Throws ConfigError / DatasetError for bad input
 * before anything is written; an error during the run writes summary.json with status
 * "failed" and is rethrown.
 */
export async function train(
  config: Readonly<Partial<TrainConfig>>,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const base = resolveTrainConfig(config, "key");
  // Loaded lazily: the loaders of csv and mnist need Node, and the browser passes `dataset`.
  const dataset =
    options.dataset ??
    (await (
      await import("../datasets/index.ts")
    ).loadDatasetAsync(base.dataset, datasetOptions(base)));
  const runDir = options.runDir ?? null;
  const trainer = new Trainer(
    runDir === null ? base : { ...base, out: runDir },
    dataset,
    options.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: options.memoryLimitBytes },
  );
  if (options.resumeState) trainer.importState(options.resumeState);
  const checkpoint = options.checkpoint ?? null;
  let sink: RunSink | null = options.sink ?? null;
  if (sink === null && runDir !== null) {
    const { RunDirWriter } = await import("./run-dir.ts");
    sink = new RunDirWriter(runDir);
  }
  const keep = options.keepRecords ?? true;
  const summaryEvery = options.summaryEveryMs ?? 5000;
  const yieldEvery = options.yieldEveryMs ?? 20;
  const records: TrainRecord[] = [];
  const start = now();
  let lastSummary = start;
  let lastYield = start;
  const progress: TrainProgress = {
    step: 0,
    steps: trainer.config.steps,
    epoch: 0,
    loss: Number.NaN,
    lr: Number.NaN,
    gradNorm: Number.NaN,
    clippedSteps: 0,
    trainLoss: null,
    trainAcc: null,
    testLoss: null,
    testAcc: null,
    elapsedMs: 0,
  };
  let status: TrainStatus = "running";
  try {
    sink?.writeConfig(trainer.config);
    sink?.writeSummary(trainer.summary("running"));
    while (!trainer.finished) {
      if (options.signal?.aborted) {
        status = "interrupted";
        checkpoint?.write(trainer, "interrupted");
        break;
      }
      const record = trainer.step();
      const t = now();
      if (record !== null) {
        sink?.appendRecord(record);
        if (keep) records.push(record);
        options.onRecord?.(record);
      }
      if (
        checkpoint &&
        !trainer.finished &&
        (trainer.stepsDone % checkpoint.every === 0 || trainer.isEvalStep(trainer.stepsDone))
      ) {
        checkpoint.write(trainer, "periodic");
      }
      if (options.onProgress) {
        progress.step = trainer.stepsDone;
        progress.epoch = trainer.epoch;
        progress.loss = trainer.lastLoss;
        progress.lr = trainer.lastLr;
        progress.gradNorm = trainer.lastGradNorm;
        progress.clippedSteps = trainer.clippedSteps;
        const e = trainer.lastEval;
        progress.trainLoss = e ? e.train.loss : null;
        progress.trainAcc = e ? e.train.accuracy : null;
        progress.testLoss = e?.test ? e.test.loss : null;
        progress.testAcc = e?.test ? e.test.accuracy : null;
        progress.elapsedMs = t - start;
        options.onProgress(progress);
      }
      if (
        sink &&
        !trainer.finished &&
        (t - lastSummary >= summaryEvery || (record !== null && trainer.isEvalStep(record.step)))
      ) {
        sink.writeSummary(trainer.summary("running", t - start));
        lastSummary = t;
      }
      if (t - lastYield >= yieldEvery) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    if (status === "running") status = trainer.explosion ? "exploded" : "completed";
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    try {
      sink?.writeSummary(trainer.summary("failed", now() - start, message));
    } finally {
      sink?.close();
    }
    throw err;
  }
  const summary = trainer.summary(status, now() - start);
  if (keep && (!options.resumeState || options.priorRecords)) {
    // the run's verdict, from every recorded step: exactly what its diagnosis says
    const all = options.priorRecords ? [...options.priorRecords, ...records] : records;
    const d = diagnoseTraining(trainer.config, all, summary);
    summary.verdict = d.verdict;
    summary.verdictMessage = d.verdictMessage;
  }
  try {
    sink?.writeSummary(summary);
  } finally {
    sink?.close();
  }
  return { config: trainer.config, summary, records, runDir, network: trainer.network };
}

/** The summary's numbers of one evaluation. */
function evalNumbers(e: EvalState): BatchNormEvaluation {
  return {
    trainLoss: e.train.loss,
    trainAcc: e.train.accuracy,
    testLoss: e.test ? e.test.loss : null,
    testAcc: e.test ? e.test.accuracy : null,
  };
}
