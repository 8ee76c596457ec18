import type { ActivationName } from "../../core/activations.ts";
import type { DType } from "../../core/dtype.ts";
import { INIT_NAMES, type InitName } from "../../core/init.ts";
import type { LossName } from "../../core/loss.ts";
import { RECURRENT_KINDS, type RecurrentKind } from "../../core/recurrent/cell.ts";
import { DEFAULT_FORGET_BIAS } from "../../core/recurrent/init-recurrent.ts";
import { ConfigError, resolveOptions } from "../config.ts";
import { NETWORK_OPTIONS, type OptionSource, type OptionSpec, optionName } from "../options.ts";

/**
 * The fields that shape a recurrent net, shared by a probe (RecurrentConfig) and a training
 * run (RecurrentTrainConfig). `init`, `weightVar` and `gain` shape the input weights
 * weight_ih, as they shape an MLP layer's W; `biasVar` bias_ih.
 */
export interface RecurrentNetFields {
  arch: RecurrentKind;
  /** Hidden units H. */
  width: number;
  /** The vanilla RNN's activation (lstm and gru have fixed gates: tanh only). */
  activation: ActivationName;
  init: InitName;
  weightVar: number;
  biasVar: number;
  gain: number;
  /** Each gate block of weight_hh: this init with weightVar 1, times recurrentGain. */
  recurrentInit: InitName;
  recurrentGain: number;
  /** Added to the LSTM's forget-gate bias (ignored by rnn and gru). */
  forgetBias: number;
  batch: number;
  seed: number;
  dtype: DType;
}

/** A recurrent network to probe: plain JSON data, every field present. */
export interface RecurrentConfig extends RecurrentNetFields {
  /** Time steps T. */
  seqLen: number;
  /** Features per time step I; null means the width. */
  inputDim: number | null;
  /** Negative slope of leaky ReLU (and he-* init). */
  slope: number;
  loss: LossName;
  /** Readout size for mse / cross-entropy; null means the loss's default (1 / 10). */
  outputs: number | null;
}

/** The options only recurrent nets have, in the same table format as options.ts. */
export const RECURRENT_ONLY_OPTIONS = [
  {
    key: "arch",
    flag: "arch",
    kind: "choice",
    default: "rnn",
    choices: RECURRENT_KINDS,
    description: "recurrent architecture: rnn (vanilla), lstm or gru (PyTorch's equations)",
  },
  {
    key: "seqLen",
    flag: "seq-len",
    kind: "int",
    default: 50,
    min: 1,
    max: 100_000,
    description: "time steps T (backpropagation through all of them)",
  },
  {
    key: "recurrentInit",
    flag: "recurrent-init",
    kind: "choice",
    default: "orthogonal",
    choices: INIT_NAMES,
    description:
      "init of each recurrent block W_hh (weightVar 1): orthogonal, identity (IRNN, Le et al. 2015), ...",
  },
  {
    key: "recurrentGain",
    flag: "recurrent-gain",
    kind: "number",
    default: 1,
    min: -1e6,
    max: 1e6,
    description: "rho: multiplies the recurrent matrix (orthogonal: every singular value is rho)",
  },
  {
    key: "forgetBias",
    flag: "forget-bias",
    kind: "number",
    default: DEFAULT_FORGET_BIAS,
    min: -1e3,
    max: 1e3,
    description: "LSTM forget-gate bias (default 1, Gers et al. 2000; PyTorch's is 0)",
  },
] as const satisfies readonly OptionSpec[];

/** The MLP options a recurrent net reads as they are (probe flags and JSON keys). */
export const RECURRENT_SHARED_KEYS = [
  "width",
  "batch",
  "activation",
  "slope",
  "init",
  "weightVar",
  "biasVar",
  "gain",
  "seed",
  "dtype",
  "loss",
  "inputDim",
  "outputs",
] as const;

/** Every option of a recurrent probe: the recurrent-only ones, then the shared MLP ones. */
export const RECURRENT_OPTIONS: readonly OptionSpec[] = [
  ...RECURRENT_ONLY_OPTIONS,
  ...RECURRENT_SHARED_KEYS.map((key) => NETWORK_OPTIONS.find((s) => s.key === key)!),
];

/**
 * A complete, validated RecurrentConfig from partial input (camelCase keys). Missing keys
 * take their defaults; unknown keys, wrong types, out-of-range values and contradictory
 * combinations throw a one-line ConfigError naming the flag or the JSON key.
 */
export function resolveRecurrentConfig(
  input: Readonly<Record<string, unknown>> = {},
  source: OptionSource = "key",
): RecurrentConfig {
  const out = resolveOptions(RECURRENT_OPTIONS, input, source, " for a recurrent net");
  const config = out as unknown as RecurrentConfig;
  checkRecurrentCombination(config, source);
  return config;
}

function checkRecurrentCombination(config: RecurrentConfig, source: OptionSource): void {
  const name = (key: string): string =>
    optionName(RECURRENT_OPTIONS.find((s) => s.key === key)!, source);
  if (config.arch !== "rnn" && config.activation !== "tanh") {
    throw new ConfigError(
      `${name("activation")} applies to ${name("arch")} rnn only (${config.arch} has fixed sigmoid/tanh gates; got '${config.activation}')`,
    );
  }
  if (config.loss === "random-projection" && config.outputs !== null) {
    throw new ConfigError(
      `${name("outputs")} needs ${name("loss")} mse or cross-entropy (random-projection has no readout)`,
    );
  }
  if (config.loss === "cross-entropy" && config.outputs === 1) {
    throw new ConfigError(
      `${name("loss")} cross-entropy needs ${name("outputs")} of at least 2 classes`,
    );
  }
}

/** Gate blocks G of an architecture (rows of weight_ih are G * width). */
export function gateCount(arch: RecurrentKind): number {
  return arch === "lstm" ? 4 : arch === "gru" ? 3 : 1;
}

/** Features per step and readout size (0: none, random projection) of a config. */
export function recurrentShape(config: RecurrentConfig): { inputDim: number; outputs: number } {
  const inputDim = config.inputDim ?? config.width;
  const outputs =
    config.loss === "random-projection" ? 0 : (config.outputs ?? (config.loss === "mse" ? 1 : 10));
  return { inputDim, outputs };
}

/**
 * Bytes of the buffers a probe of `config` allocates (the layer's per-step buffers dominate:
 * five [T*B, G*H] gate tensors plus the two TypeScript-kernel scratches, the states and their
 * gradients, the time-major input and its gradient).
 */
export function estimateRecurrentBytes(config: RecurrentConfig): number {
  const { inputDim: I } = recurrentShape(config);
  const T = config.seqLen;
  const B = config.batch;
  const H = config.width;
  const GH = gateCount(config.arch) * H;
  const states = (config.arch === "lstm" ? 5 : 2) * (T + 1) * B * H;
  const elements =
    6 * T * B * GH + T * B * Math.max(I, H) + states + 4 * T * B * I + 4 * GH * (H + I);
  return elements * (config.dtype === "f32" ? 4 : 8);
}
