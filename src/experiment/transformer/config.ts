import type { DType } from "../../core/dtype.ts";
import { INIT_NAMES, type InitName } from "../../core/init.ts";
import { NORM_POSITIONS, type NormPosition } from "../../core/transformer/block.ts";
import { FFN_ACTIVATIONS, type FfnActivation } from "../../core/transformer/ffn.ts";
import { TASK_KINDS, type TaskKind } from "../../core/transformer/heads.ts";
import { POSITION_KINDS, type PositionKind } from "../../core/transformer/positions.ts";
import { ConfigError } from "../config.ts";

/** Losses a transformer probe supports: the projection of the representation, or its head's cross-entropy. */
export const TRANSFORMER_LOSSES = ["random-projection", "cross-entropy"] as const;
export type TransformerLoss = (typeof TRANSFORMER_LOSSES)[number];

/** A transformer encoder's configuration: plain JSON data, every field present. */
export interface TransformerConfig {
  /** Model width d. */
  width: number;
  heads: number;
  ffnWidth: number;
  seqLen: number;
  /** Number of blocks N. */
  depth: number;
  normPosition: NormPosition;
  positions: PositionKind;
  activation: FfnActivation;
  /** Vocabulary size of one-hot token inputs (used when inputDim is null). */
  vocab: number;
  /** Continuous inputs of this many features per position (Gaussian in the probe), or null for tokens. */
  inputDim: number | null;
  /** The head under cross-entropy: one label per sequence or per position. */
  task: TaskKind;
  classes: number;
  init: InitName;
  weightVar: number;
  biasVar: number;
  gain: number;
  batch: number;
  seed: number;
  dtype: DType;
  loss: TransformerLoss;
}

/** Defaults: Xiong et al.'s block (ReLU FFN of width 4d, Xavier init), small enough to probe at depth 48. */
export const TRANSFORMER_DEFAULTS: Readonly<TransformerConfig> = {
  width: 64,
  heads: 4,
  ffnWidth: 256,
  seqLen: 16,
  depth: 6,
  normPosition: "post",
  positions: "sinusoidal",
  activation: "relu",
  vocab: 16,
  inputDim: null,
  task: "sequence",
  classes: 2,
  init: "xavier-uniform",
  weightVar: 1,
  biasVar: 0,
  gain: 1,
  batch: 16,
  seed: 0,
  dtype: "f64",
  loss: "random-projection",
};

/** The defaults overridden by `partial`, validated. */
export function transformerConfig(partial: Partial<TransformerConfig> = {}): TransformerConfig {
  const config = { ...TRANSFORMER_DEFAULTS, ...partial };
  validateTransformerConfig(config);
  return config;
}

function intIn(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new ConfigError(`${name} must be an integer between ${lo} and ${hi} (got ${v})`);
  }
}

function oneOf<T extends string>(name: string, v: T, choices: readonly T[]): void {
  if (!choices.includes(v)) {
    throw new ConfigError(
      `${name} must be one of: ${choices.join(", ")} (got ${JSON.stringify(v)})`,
    );
  }
}

/** Throws a one-line ConfigError naming the first bad field (JSON key names). */
export function validateTransformerConfig(c: TransformerConfig): void {
  intIn("width", c.width, 1, 4096);
  intIn("heads", c.heads, 1, 256);
  if (c.width % c.heads !== 0) {
    throw new ConfigError(
      `width ${c.width} is not divisible by heads ${c.heads} (each head needs width/heads features)`,
    );
  }
  intIn("ffnWidth", c.ffnWidth, 1, 16384);
  intIn("seqLen", c.seqLen, 1, 4096);
  intIn("depth", c.depth, 1, 1000);
  oneOf("normPosition", c.normPosition, NORM_POSITIONS);
  oneOf("positions", c.positions, POSITION_KINDS);
  oneOf("activation", c.activation, FFN_ACTIVATIONS);
  intIn("vocab", c.vocab, 2, 100000);
  if (c.inputDim !== null) intIn("inputDim", c.inputDim, 1, 100000);
  oneOf("task", c.task, TASK_KINDS);
  intIn("classes", c.classes, 2, 100000);
  oneOf("init", c.init, INIT_NAMES);
  for (const [name, v] of [
    ["weightVar", c.weightVar],
    ["biasVar", c.biasVar],
  ] as const) {
    if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`${name} must be >= 0 (got ${v})`);
  }
  if (!Number.isFinite(c.gain)) throw new ConfigError(`gain must be a number (got ${c.gain})`);
  intIn("batch", c.batch, 1, 1_000_000);
  intIn("seed", c.seed, 0, 2 ** 32 - 1);
  oneOf("dtype", c.dtype, ["f32", "f64"] as const);
  oneOf("loss", c.loss, TRANSFORMER_LOSSES);
}

/** Features per position of the model's input: the vocabulary for tokens. */
export function transformerInputDim(c: TransformerConfig): number {
  return c.inputDim ?? c.vocab;
}
