import { createLoss } from "../../core/loss.ts";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { countNonFinite, l2Norm } from "../../probe/stats.ts";
import { measureTimeSteps } from "../recurrent/step-metrics.ts";
import { createSequenceTask, type SequenceTask } from "../recurrent/tasks.ts";
import { buildRecurrentModel, type RecurrentTrainConfig } from "../recurrent/train-recurrent.ts";
import type { SequenceModel } from "./loop.ts";
import type { RecurrentRunConfig } from "./types.ts";

/** The net fields of trainRecurrent's config, so a run builds the very same model. */
export function recurrentTrainConfig(c: RecurrentRunConfig): RecurrentTrainConfig {
  return {
    arch: c.arch,
    width: c.width,
    activation: c.activation,
    init: c.init,
    weightVar: c.weightVar,
    biasVar: c.biasVar,
    gain: c.gain,
    recurrentInit: c.recurrentInit,
    recurrentGain: c.recurrentGain,
    forgetBias: c.forgetBias,
    batch: c.batch,
    seed: c.seed,
    dtype: c.dtype,
    optimizer: c.optimizer,
    lr: c.lr,
    steps: c.steps,
    clip: c.clip === "global-norm" ? c.clipThreshold : null,
    recordEvery: c.recordEvery,
    testSize: c.testSize,
  };
}

/** The run's task (digits loads MNIST, hence async). */
export function recurrentRunTask(c: RecurrentRunConfig): Promise<SequenceTask> {
  return createSequenceTask(c.task, {
    seqLen: c.seqLen,
    seed: c.seed,
    dtype: c.dtype,
    ...(c.samples === null ? {} : { samples: c.samples }),
  });
}

/**
 * A recurrent net on its task for the training loop, seeded as trainRecurrent (weights,
 * training data and test data are three forked streams), with a fresh minibatch every step.
 * The test stream restarts at every evaluation, so each evaluation sees the same examples.
 */
export function recurrentModel(c: RecurrentRunConfig, task: SequenceTask): SequenceModel {
  const master = new Rng(c.seed);
  const weightRng = master.fork();
  const dataRng = master.fork();
  const testSeed = master.fork().nextUint32();
  const { layer, readout, params } = buildRecurrentModel(recurrentTrainConfig(c), task, weightRng);
  const loss = createLoss(task.loss, c.dtype);
  const x = Mat.zeros(c.batch, task.seqLen * task.inputDim, c.dtype);
  const y = Mat.zeros(c.batch, task.outputDim, c.dtype);
  const whh = params.find((p) => p.name === "weight_hh")!;
  let output = y;
  const scratch = new Float64Array(c.batch * c.width);
  return {
    params,
    task: {
      name: task.name,
      description: task.description,
      seqLen: task.seqLen,
      baselineLoss: task.baselineLoss,
      chanceAccuracy: task.chanceAccuracy,
    },
    forwardBackward() {
      task.sample(dataRng, x, y, "train");
      output = readout.forward(layer.forward(x, "train"), "train");
      const value = loss.forward(output, y);
      layer.backward(readout.backward(loss.backward()));
      return value;
    },
    measure() {
      const steps = measureTimeSteps(layer, null, scratch);
      return {
        recurrentWeightNorm: l2Norm(whh.value.data, whh.value.size),
        timeSteps: steps.map(({ predicted: _p, ...s }) => s),
      };
    },
    nonFiniteWhere() {
      const n = layer.batch * layer.hidden;
      for (let t = 1; t <= layer.seqLen; t++) {
        if (countNonFinite(layer.hiddenAt(t), n) > 0) return `h_t at time step ${t}`;
      }
      if (countNonFinite(output.data, output.size) > 0) return "the readout";
      for (let t = layer.seqLen; t >= 1; t--) {
        if (countNonFinite(layer.gradHiddenAt(t), n) > 0) return `dL/dh_t at time step ${t}`;
      }
      return null;
    },
    evaluate(size) {
      const rng = new Rng(testSeed);
      const batches = Math.max(1, Math.ceil(size / c.batch));
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
        accuracy: task.loss === "cross-entropy" ? correct / (batches * c.batch) : null,
      };
    },
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
