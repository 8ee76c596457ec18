import { Mat } from "../../core/mat.ts";
import {
  clipGlobalNorm,
  createOptimizer,
  learningRate,
  type Schedule,
} from "../../core/optim/index.ts";
import { Rng } from "../../core/rng.ts";
import { lossFor, transformerFromConfig } from "./build.ts";
import { type TransformerConfig, validateTransformerConfig } from "./config.ts";
import { accuracy, gatherRows, makeTask } from "./tasks.ts";

export interface TransformerTrainOptions {
  steps: number;
  lr: number;
  /** Linear warmup over this many steps (0: none); post-LN at depth needs it (Xiong et al.). */
  warmupSteps?: number;
  /** Clip the global gradient norm to this value (omitted: no clipping). */
  clip?: number;
  trainSize?: number;
  testSize?: number;
  /** Record loss and gradient norm every k steps. */
  recordEvery?: number;
}

export interface TransformerTrainResult {
  /** Training loss every recordEvery steps, with the pre-clip global gradient norm. */
  history: { step: number; loss: number; gradNorm: number }[];
  finalLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Accuracy of always answering the most frequent test label. */
  chance: number;
  /** True when a loss or gradient became NaN/Inf (training stops there). */
  diverged: boolean;
}

/**
 * Train the transformer of `config` (loss must be cross-entropy: its head learns config.task)
 * on the synthetic task of tasks.ts with Adam, an optional linear warmup and optional
 * global-norm clipping. Deterministic from config.seed (weights, data and minibatches are
 * forked streams).
 */
export function trainTransformer(
  config: TransformerConfig,
  options: TransformerTrainOptions,
): TransformerTrainResult {
  validateTransformerConfig(config);
  if (config.loss !== "cross-entropy" || config.inputDim !== null) {
    throw new RangeError(
      "trainTransformer: needs token inputs (inputDim null) and loss cross-entropy",
    );
  }
  const master = new Rng(config.seed);
  const model = transformerFromConfig(config, master.fork());
  const dataSeed = master.fork().nextUint32();
  const sampler = master.fork();
  const task = { seqLen: config.seqLen, vocab: config.vocab, dtype: config.dtype };
  const train = makeTask(config.task, { ...task, n: options.trainSize ?? 2048, seed: dataSeed });
  const test = makeTask(config.task, { ...task, n: options.testSize ?? 512, seed: dataSeed + 1 });
  const loss = lossFor(config);
  const params = model.params();
  const optimizer = createOptimizer("adam");
  const schedule: Schedule =
    options.warmupSteps && options.warmupSteps > 0
      ? { kind: "warmup", warmupSteps: options.warmupSteps }
      : { kind: "constant" };
  const bx = Mat.zeros(config.batch, train.x.cols, config.dtype);
  const by = Mat.zeros(config.batch, train.y.cols, config.dtype);
  const idx = new Int32Array(config.batch);
  const history: TransformerTrainResult["history"] = [];
  const every = options.recordEvery ?? 10;
  let finalLoss = Number.NaN;
  let diverged = false;
  for (let step = 0; step < options.steps; step++) {
    for (let i = 0; i < idx.length; i++) idx[i] = sampler.int(train.x.rows);
    gatherRows(train.x, idx, bx);
    gatherRows(train.y, idx, by);
    finalLoss = loss.forward(model.forward(bx), by);
    model.backward(loss.backward());
    const clipped = clipGlobalNorm(params, options.clip ?? Number.POSITIVE_INFINITY);
    if (!Number.isFinite(finalLoss) || !Number.isFinite(clipped.norm)) {
      diverged = true;
      history.push({ step, loss: finalLoss, gradNorm: clipped.norm });
      break;
    }
    if (step % every === 0 || step === options.steps - 1) {
      history.push({ step, loss: finalLoss, gradNorm: clipped.norm });
    }
    optimizer.step(params, learningRate(schedule, options.lr, step));
  }
  const acc = (data: typeof train) => accuracy(model.forward(data.x, "eval"), data.y, data.classes);
  const trainAccuracy = acc(train);
  const testAccuracy = acc(test);
  let ones = 0;
  const rows = test.y.size / test.classes;
  for (let r = 0; r < rows; r++) ones += test.y.data[r * test.classes + 1]!;
  return {
    history,
    finalLoss,
    trainAccuracy,
    testAccuracy,
    chance: Math.max(ones, rows - ones) / rows,
    diverged,
  };
}
