import type { Loss } from "../../core/loss.ts";
import { RandomProjectionLoss, SoftmaxCrossEntropyLoss } from "../../core/loss.ts";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { initTransformer } from "../../core/transformer/init.ts";
import { TransformerModel } from "../../core/transformer/model.ts";
import { TokenCrossEntropy } from "../../core/transformer/token-loss.ts";
import { type TransformerConfig, transformerInputDim } from "./config.ts";

/** A transformer, its probe batch and its loss, ready for one forward/backward pass. */
export interface TransformerSetup {
  config: TransformerConfig;
  model: TransformerModel;
  input: Mat;
  target: Mat;
  loss: Loss;
}

/** The model of `config` with its weights drawn from `rng` (see initTransformer for the order). */
export function transformerFromConfig(c: TransformerConfig, rng: Rng): TransformerModel {
  const inputDim = transformerInputDim(c);
  const model = new TransformerModel({
    inputDim,
    seqLen: c.seqLen,
    width: c.width,
    heads: c.heads,
    ffnWidth: c.ffnWidth,
    depth: c.depth,
    normPosition: c.normPosition,
    positions: c.positions,
    activation: c.activation,
    head: c.loss === "cross-entropy" ? { kind: c.task, classes: c.classes } : null,
    dtype: c.dtype,
  });
  // One-hot tokens pick one column of E: unit-variance entries give unit-variance embeddings,
  // as nn.Embedding; continuous N(0, 1) inputs need 1/inputDim for the same.
  const embeddingStd = c.inputDim === null ? 1 : 1 / Math.sqrt(inputDim);
  initTransformer(
    model,
    c.init,
    { weightVar: c.weightVar, biasVar: c.biasVar, gain: c.gain, embeddingStd },
    rng,
  );
  return model;
}

/** Uniformly random one-hot tokens [batch, T*vocab] (or Gaussian [batch, T*inputDim]). */
export function probeInput(c: TransformerConfig, rng: Rng): Mat {
  const dim = transformerInputDim(c);
  const x = Mat.zeros(c.batch, c.seqLen * dim, c.dtype);
  if (c.inputDim !== null) {
    rng.fillNormal(x.data);
    return x;
  }
  for (let p = 0; p < c.batch * c.seqLen; p++) x.data[p * dim + rng.int(dim)] = 1;
  return x;
}

/** R ~ N(0, 1) over the representation, or random one-hot labels for the head. */
export function probeTarget(c: TransformerConfig, rng: Rng): Mat {
  if (c.loss === "random-projection") {
    const t = Mat.zeros(c.batch, c.seqLen * c.width, c.dtype);
    rng.fillNormal(t.data);
    return t;
  }
  const labels = c.task === "sequence" ? 1 : c.seqLen;
  const t = Mat.zeros(c.batch, labels * c.classes, c.dtype);
  for (let i = 0; i < c.batch * labels; i++) t.data[i * c.classes + rng.int(c.classes)] = 1;
  return t;
}

export function lossFor(c: TransformerConfig): Loss {
  if (c.loss === "random-projection") return new RandomProjectionLoss();
  return c.task === "sequence"
    ? new SoftmaxCrossEntropyLoss(c.dtype)
    : new TokenCrossEntropy(c.classes, c.dtype);
}

/**
 * Build the model of `config` and its probe batch. As for the MLP probe, the seed drives three
 * forked streams (weights, inputs, targets), so changing the batch size keeps the weights.
 */
export function buildTransformerProbe(config: TransformerConfig): TransformerSetup {
  const master = new Rng(config.seed);
  const weightRng = master.fork();
  const inputRng = master.fork();
  const targetRng = master.fork();
  const model = transformerFromConfig(config, weightRng);
  return {
    config,
    model,
    input: probeInput(config, inputRng),
    target: probeTarget(config, targetRng),
    loss: lossFor(config),
  };
}

/** One forward and backward pass; returns the loss value. */
export function transformerForwardBackward(setup: TransformerSetup): number {
  const y = setup.model.forward(setup.input, "train");
  const value = setup.loss.forward(y, setup.target);
  setup.model.backward(setup.loss.backward());
  return value;
}
