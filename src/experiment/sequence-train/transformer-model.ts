import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { countNonFinite } from "../../probe/stats.ts";
import { lossFor, transformerFromConfig } from "../transformer/build.ts";
import type { TransformerConfig } from "../transformer/config.ts";
import { measureTransformer } from "../transformer/probe.ts";
import { accuracy, gatherRows, makeTask } from "../transformer/tasks.ts";
import type { SequenceModel } from "./loop.ts";
import type { TransformerRunConfig } from "./types.ts";

/** The model part of a run config, as the probe and trainTransformer take it. */
export function transformerModelConfig(c: TransformerRunConfig): TransformerConfig {
  return {
    width: c.width,
    heads: c.heads,
    ffnWidth: c.ffnWidth,
    seqLen: c.seqLen,
    depth: c.depth,
    normPosition: c.normPosition,
    positions: c.positions,
    activation: c.activation,
    vocab: c.vocab,
    inputDim: null,
    task: c.task,
    classes: 2,
    init: c.init,
    weightVar: c.weightVar,
    biasVar: c.biasVar,
    gain: c.gain,
    batch: c.batch,
    seed: c.seed,
    dtype: c.dtype,
    loss: "cross-entropy",
  };
}

const TASK_TEXT = {
  sequence: "majority: label 1 when token 0 occurs more often than token 1",
  token: "matches first: each position's label is 1 when its token equals position 1's",
} as const;

/**
 * A transformer on a synthetic token task for the training loop, seeded as trainTransformer
 * (weights, data seed and minibatch sampler are forked streams): minibatches are drawn with
 * replacement from a fixed training set, the test set is fixed, evaluated in whole batches.
 */
export function transformerModel(c: TransformerRunConfig): SequenceModel {
  const mc = transformerModelConfig(c);
  const master = new Rng(c.seed);
  const model = transformerFromConfig(mc, master.fork());
  const dataSeed = master.fork().nextUint32();
  const sampler = master.fork();
  const shape = { seqLen: c.seqLen, vocab: c.vocab, dtype: c.dtype };
  const train = makeTask(c.task, { ...shape, n: c.trainSize, seed: dataSeed });
  const test = makeTask(c.task, { ...shape, n: c.testSize, seed: dataSeed + 1 });
  const loss = lossFor(mc);
  const params = model.params();
  const bx = Mat.zeros(c.batch, train.x.cols, c.dtype);
  const by = Mat.zeros(c.batch, train.y.cols, c.dtype);
  const idx = new Int32Array(c.batch);
  // the majority of test labels: what always answering one class scores
  let ones = 0;
  const rows = test.y.size / test.classes;
  for (let r = 0; r < rows; r++) ones += test.y.data[r * test.classes + 1]!;
  let output: Mat | null = null;
  return {
    params,
    task: {
      name: c.task,
      description: `${c.task} task, T = ${c.seqLen}, vocabulary ${c.vocab}: ${TASK_TEXT[c.task]}; ${c.trainSize} training examples`,
      seqLen: c.seqLen,
      baselineLoss: Math.log(2),
      chanceAccuracy: Math.max(ones, rows - ones) / rows,
    },
    forwardBackward() {
      for (let i = 0; i < idx.length; i++) idx[i] = sampler.int(train.x.rows);
      gatherRows(train.x, idx, bx);
      gatherRows(train.y, idx, by);
      output = model.forward(bx, "train");
      const value = loss.forward(output, by);
      model.backward(loss.backward());
      return value;
    },
    measure() {
      return { blocks: measureTransformer({ model, input: bx, target: by, loss, config: mc }) };
    },
    nonFiniteWhere() {
      for (const [l, block] of model.blocks.entries()) {
        const y = block.output;
        if (countNonFinite(y.data, y.size) > 0) return `the output of block ${l + 1}`;
      }
      if (output && countNonFinite(output.data, output.size) > 0) return "the head's logits";
      for (let l = model.blocks.length - 1; l >= 0; l--) {
        const dx = model.blocks[l]!.inputGrad;
        if (countNonFinite(dx.data, dx.size) > 0) return `dL/dx at block ${l + 1}`;
      }
      return null;
    },
    evaluate() {
      const n = test.x.rows;
      const batches = Math.max(1, Math.floor(n / c.batch));
      let total = 0;
      let right = 0;
      let count = 0;
      for (let k = 0; k < batches; k++) {
        for (let i = 0; i < idx.length; i++) idx[i] = (k * c.batch + i) % n;
        gatherRows(test.x, idx, bx);
        gatherRows(test.y, idx, by);
        const out = model.forward(bx, "eval");
        total += loss.forward(out, by);
        const positions = out.size / test.classes;
        right += accuracy(out, by, test.classes) * positions;
        count += positions;
      }
      return { loss: total / batches, accuracy: right / count };
    },
  };
}
