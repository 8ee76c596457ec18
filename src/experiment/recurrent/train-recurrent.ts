import { initDense } from "../../core/init.ts";
import { Dense } from "../../core/layers/dense.ts";
import type { Param } from "../../core/layers/layer.ts";
import { createLoss } from "../../core/loss.ts";
import { Mat } from "../../core/mat.ts";
import {
  clipGlobalNorm,
  createOptimizer,
  gradNorm,
  type OptimizerName,
} from "../../core/optim/index.ts";
import { DEFAULT_FORGET_BIAS, initRecurrent } from "../../core/recurrent/init-recurrent.ts";
import { RecurrentLayer } from "../../core/recurrent/recurrent-layer.ts";
import { Rng } from "../../core/rng.ts";
import { l2Norm } from "../../probe/stats.ts";
import type { RecurrentNetFields } from "./config.ts";
import type { SequenceTask } from "./tasks.ts";

/**
 * A training run of a recurrent net on a sequence task (which fixes T and the input width).
 * Plain data.
 */
export interface RecurrentTrainConfig extends RecurrentNetFields {
  optimizer: OptimizerName;
  lr: number;
  /** Optimizer steps, one fresh minibatch each. */
  steps: number;
  /** Global gradient-norm clipping threshold (Pascanu et al. 2013), or null for none. */
  clip: number | null;
  /** Record the per-time-step gradient norms every this many steps (0: never). */
  recordEvery: number;
  /** Test examples for the final evaluation (rounded up to whole batches). */
  testSize: number;
}

export const DEFAULT_RECURRENT_TRAIN: RecurrentTrainConfig = {
  arch: "lstm",
  width: 32,
  activation: "tanh",
  init: "xavier-uniform",
  weightVar: 1,
  biasVar: 0,
  gain: 1,
  recurrentInit: "orthogonal",
  recurrentGain: 1,
  forgetBias: DEFAULT_FORGET_BIAS,
  optimizer: "adam",
  lr: 0.01,
  steps: 500,
  batch: 32,
  clip: 1,
  seed: 0,
  dtype: "f32",
  recordEvery: 50,
  testSize: 512,
};

/** What one step did, for the onStep callback. */
export interface RecurrentStepInfo {
  step: number;
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  clipped: boolean;
}

/** Per-time-step |dL/dh_t| (t = 1..T, index t-1) of one recorded step's minibatch. */
export interface TimeStepGradRecord {
  step: number;
  gradHiddenNorm: number[];
}

export interface RecurrentTrainResult {
  config: RecurrentTrainConfig;
  task: {
    name: string;
    description: string;
    seqLen: number;
    baselineLoss: number;
    chanceAccuracy: number | null;
  };
  /** Training loss of every step (index step - 1). */
  losses: number[];
  /** Gradient norm before clipping of every step. */
  gradNorms: number[];
  clippedSteps: number;
  /** Per-time-step gradient norms over training: rows of a (step x time step) heatmap. */
  records: TimeStepGradRecord[];
  /** Final evaluation on testSize fresh examples. */
  test: { loss: number; accuracy: number | null };
  /** The first step whose loss or gradient was NaN/Inf (training stops there), or null. */
  explodedAt: number | null;
}

export interface TrainRecurrentOptions {
  /** Called after every step; return "stop" to end training early. */
  onStep?: (info: RecurrentStepInfo) => undefined | "stop";
}

/**
 * The recurrent net of a training run: a RecurrentLayer over the task's sequences and a
 * linear readout on h_T, weights from `rng` (recurrent, then readout).
 */
export function buildRecurrentModel(
  config: RecurrentTrainConfig,
  task: SequenceTask,
  rng: Rng,
): { layer: RecurrentLayer; readout: Dense; params: Param[] } {
  const layer = new RecurrentLayer({
    kind: config.arch,
    stepInputDim: task.inputDim,
    hidden: config.width,
    seqLen: task.seqLen,
    activation: config.activation,
    dtype: config.dtype,
  });
  layer.computeInputGrad = false;
  initRecurrent(layer, config, rng);
  const readout = new Dense(config.width, task.outputDim, config.dtype);
  initDense(
    readout.W,
    readout.b,
    config.init,
    { weightVar: config.weightVar, gain: config.gain },
    rng,
  );
  const params = [
    ...layer.params(),
    ...readout.params().map((p) => ({ ...p, name: `readout.${p.name}` })),
  ];
  return { layer, readout, params };
}

/**
 * Train a recurrent net on `task` with minibatches drawn fresh each step, the optimizer and
 * clipping of src/core/optim, and the task's loss on a readout of h_T. The seed drives three
 * streams: weights, training data, test data.
 */
export function trainRecurrent(
  config: RecurrentTrainConfig,
  task: SequenceTask,
  options: TrainRecurrentOptions = {},
): RecurrentTrainResult {
  const master = new Rng(config.seed);
  const weightRng = master.fork();
  const dataRng = master.fork();
  const testRng = master.fork();
  const { layer, readout, params } = buildRecurrentModel(config, task, weightRng);
  const optimizer = createOptimizer(config.optimizer);
  const loss = createLoss(task.loss, config.dtype);
  const B = config.batch;
  const x = Mat.zeros(B, task.seqLen * task.inputDim, config.dtype);
  const y = Mat.zeros(B, task.outputDim, config.dtype);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  const records: TimeStepGradRecord[] = [];
  let clippedSteps = 0;
  let explodedAt: number | null = null;
  for (let step = 1; step <= config.steps; step++) {
    task.sample(dataRng, x, y, "train");
    const value = loss.forward(readout.forward(layer.forward(x, "train"), "train"), y);
    layer.backward(readout.backward(loss.backward()));
    if (config.recordEvery > 0 && (step === 1 || step % config.recordEvery === 0)) {
      records.push({ step, gradHiddenNorm: timeStepNorms(layer) });
    }
    let norm: number;
    let clipped = false;
    if (config.clip !== null) {
      const c = clipGlobalNorm(params, config.clip);
      norm = c.norm;
      clipped = c.clipped;
    } else {
      norm = gradNorm(params);
    }
    losses.push(value);
    gradNorms.push(norm);
    if (clipped) clippedSteps++;
    if (!Number.isFinite(value) || !Number.isFinite(norm)) {
      explodedAt = step;
      break;
    }
    optimizer.step(params, config.lr);
    if (options.onStep?.({ step, loss: value, gradNorm: norm, clipped }) === "stop") break;
  }
  const test = evaluate(task, layer, readout, B, config.testSize, testRng, x, y);
  return {
    config,
    task: {
      name: task.name,
      description: task.description,
      seqLen: task.seqLen,
      baselineLoss: task.baselineLoss,
      chanceAccuracy: task.chanceAccuracy,
    },
    losses,
    gradNorms,
    clippedSteps,
    records,
    test,
    explodedAt,
  };
}

/** |dL/dh_t| for t = 1..T after a backward pass. */
export function timeStepNorms(layer: RecurrentLayer): number[] {
  const n = layer.batch * layer.hidden;
  const out: number[] = [];
  for (let t = 1; t <= layer.seqLen; t++) out.push(l2Norm(layer.gradHiddenAt(t), n));
  return out;
}

/** Mean loss (and accuracy for classification) over ceil(size / batch) fresh test batches. */
function evaluate(
  task: SequenceTask,
  layer: RecurrentLayer,
  readout: Dense,
  batch: number,
  size: number,
  rng: Rng,
  x: Mat,
  y: Mat,
): { loss: number; accuracy: number | null } {
  const loss = createLoss(task.loss, layer.dtype);
  const batches = Math.max(1, Math.ceil(size / batch));
  let total = 0;
  let correct = 0;
  for (let k = 0; k < batches; k++) {
    task.sample(rng, x, y, "test");
    const out = readout.forward(layer.forward(x, "eval"), "eval");
    total += loss.forward(out, y);
    if (task.loss === "cross-entropy") correct += countCorrect(out, y);
  }
  return {
    loss: total / batches,
    accuracy: task.loss === "cross-entropy" ? correct / (batches * batch) : null,
  };
}

function countCorrect(out: Mat, y: Mat): number {
  let correct = 0;
  for (let r = 0; r < out.rows; r++) {
    let best = 0;
    let label = 0;
    for (let j = 1; j < out.cols; j++) {
      if (out.get(r, j) > out.get(r, best)) best = j;
      if (y.get(r, j) > y.get(r, label)) label = j;
    }
    if (best === label) correct++;
  }
  return correct;
}
