import { type InitName, type InitOptions, initDense } from "../init.ts";
import type { Rng } from "../rng.ts";
import { deepNormBeta } from "./deepnorm.ts";
import type { TransformerModel } from "./model.ts";

export interface TransformerInitOptions extends InitOptions {
  /** Standard deviation of the embedding entries: 1 for one-hot tokens, 1/sqrt(inputDim) for continuous inputs. */
  embeddingStd: number;
  /** Standard deviation of learned position entries (BERT and GPT-2 use 0.02). */
  positionStd?: number;
}

/**
 * Draw every parameter of `model` from `rng`, in this order: embedding E (row-major normals),
 * learned positions, then per block Wq, Wk, Wv, Wo, W1, W2 (each with its bias, by
 * `initDense`), then the head. LayerNorm gains start at 1 and shifts at 0.
 * DeepNorm (Wang et al. 2022) multiplies the gain of Wv, Wo, W1 and W2 by beta = (8N)^(-1/4)
 * and keeps Wq and Wk at the configured gain; with init "xavier-normal" that is the paper's
 * initialization exactly.
 */
export function initTransformer(
  model: TransformerModel,
  init: InitName,
  options: TransformerInitOptions,
  rng: Rng,
): void {
  const { embeddingStd, positionStd = 0.02, ...dense } = options;
  const E = model.embedding.E.data;
  for (let i = 0; i < E.length; i++) E[i] = embeddingStd * rng.normal();
  if (model.positions.kind === "learned") {
    const P = model.positions.table.data;
    for (let i = 0; i < P.length; i++) P[i] = positionStd * rng.normal();
  }
  const gain = dense.gain ?? 1;
  const scaled: InitOptions =
    model.spec.normPosition === "deepnorm"
      ? { ...dense, gain: gain * deepNormBeta(model.depth) }
      : dense;
  for (const block of model.blocks) {
    const { q, k, v, o } = block.attention;
    initDense(q.W, q.b, init, dense, rng);
    initDense(k.W, k.b, init, dense, rng);
    initDense(v.W, v.b, init, scaled, rng);
    initDense(o.W, o.b, init, scaled, rng);
    initDense(block.ffn.fc1.W, block.ffn.fc1.b, init, scaled, rng);
    initDense(block.ffn.fc2.W, block.ffn.fc2.b, init, scaled, rng);
  }
  if (model.head) initDense(model.head.dense.W, model.head.dense.b, init, dense, rng);
}
