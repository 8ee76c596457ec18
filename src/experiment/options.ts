import { ACTIVATION_NAMES } from "../core/activations.ts";
import { DTYPES } from "../core/dtype.ts";
import { INIT_NAMES } from "../core/init.ts";
import { LOSS_NAMES } from "../core/loss.ts";
import { OPTIMIZER_NAMES, SCHEDULE_KINDS } from "../core/optim/index.ts";
import { DATASET_NAMES, DATASET_TASKS } from "./datasets/dataset.ts";

/** Where a value came from, for error messages: a CLI flag or a key of a JSON config. */
export type OptionSource = "flag" | "key";

interface BaseOption {
  /** camelCase key in JSON configs and the library API. */
  key: string;
  /** kebab-case CLI flag without dashes. */
  flag: string;
  description: string;
}
export interface IntOption extends BaseOption {
  kind: "int";
  default: number | null;
  min: number;
  max: number;
}
export interface NumberOption extends BaseOption {
  kind: "number";
  /** null: no fixed default (resolved later, e.g. from the optimizer or the dataset). */
  default: number | null;
  min: number;
  max: number;
}
export interface ChoiceOption extends BaseOption {
  kind: "choice";
  /** null: no fixed default (resolved later, e.g. the loss from the dataset's task). */
  default: string | null;
  choices: readonly string[];
}
/** Free text, e.g. a file path. */
export interface StringOption extends BaseOption {
  kind: "string";
  default: string | null;
}
export interface BooleanOption extends BaseOption {
  kind: "boolean";
  default: boolean;
}
export type OptionSpec = IntOption | NumberOption | ChoiceOption | BooleanOption | StringOption;

/**
 * The tasks of `train --arch` (recurrent: adding, copy, digits; transformer: sequence, token),
 * which share the --task flag with the CSV's classification | regression: one flag, one
 * meaning per family (test/sequence-tasks checks this list against the task modules).
 */
export const SEQUENCE_TASKS = ["adding", "copy", "digits", "sequence", "token"] as const;

/**
 * Inputs of the probe (`probe --dataset`): only Gaussian x ~ N(0, I) so far. The datasets a
 * network trains on are `TRAIN_DATASET_NAMES` (datasets/dataset.ts's DATASET_NAMES).
 */
export const PROBE_DATASET_NAMES = ["gaussian"] as const;
export type ProbeDatasetName = (typeof PROBE_DATASET_NAMES)[number];

/** The datasets `train --dataset` accepts (the loaders' names, re-exported). */
export const TRAIN_DATASET_NAMES = DATASET_NAMES;
export type TrainDatasetName = (typeof TRAIN_DATASET_NAMES)[number];

/**
 * The network and probe options: one table drives CLI flags, JSON config keys, defaults,
 * validation and help text, so the faces of gradscope cannot drift apart.
 */
export const NETWORK_OPTIONS = [
  {
    key: "depth",
    flag: "depth",
    kind: "int",
    default: 20,
    min: 1,
    max: 10_000,
    description: "number of hidden layers L",
  },
  {
    key: "width",
    flag: "width",
    kind: "int",
    default: 128,
    min: 1,
    max: 1_000_000,
    description: "units per hidden layer n",
  },
  {
    key: "batch",
    flag: "batch",
    kind: "int",
    default: 64,
    min: 1,
    max: 1_000_000,
    description: "examples per batch",
  },
  {
    key: "activation",
    flag: "activation",
    kind: "choice",
    default: "tanh",
    choices: ACTIVATION_NAMES,
    description: "activation phi",
  },
  {
    key: "init",
    flag: "init",
    kind: "choice",
    default: "normal",
    choices: INIT_NAMES,
    description: "weight initialization",
  },
  {
    key: "weightVar",
    flag: "weight-var",
    kind: "number",
    default: 1,
    min: 0,
    max: 1e6,
    description:
      "sigma_w^2: normal/uniform weights get variance s/fan_in; orthogonal/identity gain sqrt(s)",
  },
  {
    key: "biasVar",
    flag: "bias-var",
    kind: "number",
    default: 0,
    min: 0,
    max: 1e6,
    description: "sigma_b^2: biases ~ N(0, t)",
  },
  {
    key: "gain",
    flag: "gain",
    kind: "number",
    default: 1,
    min: -1e6,
    max: 1e6,
    description: "multiplies the weights of any init",
  },
  {
    key: "slope",
    flag: "slope",
    kind: "number",
    default: 0.01,
    min: 0,
    max: 1e3,
    description: "negative slope of leaky-relu (also used by he-* init)",
  },
  {
    key: "batchNorm",
    flag: "batch-norm",
    kind: "boolean",
    default: false,
    description: "batch normalization after each dense layer (training-mode statistics)",
  },
  {
    key: "layerNorm",
    flag: "layer-norm",
    kind: "boolean",
    default: false,
    description: "layer normalization after each dense layer",
  },
  {
    key: "residual",
    flag: "residual",
    kind: "boolean",
    default: false,
    description: "residual connections a = a_prev + s * phi(u)",
  },
  {
    key: "branchScale",
    flag: "branch-scale",
    kind: "number",
    default: 1,
    min: -1e6,
    max: 1e6,
    description: "residual branch scale s",
  },
  {
    key: "seed",
    flag: "seed",
    kind: "int",
    default: 0,
    min: 0,
    max: 4_294_967_295,
    description: "random seed (weights, inputs, targets)",
  },
  {
    key: "dtype",
    flag: "dtype",
    kind: "choice",
    default: "f64",
    choices: DTYPES,
    description: "float type of the network",
  },
  {
    key: "loss",
    flag: "loss",
    kind: "choice",
    default: "random-projection",
    choices: LOSS_NAMES,
    description: "loss: random-projection sum(R * a_L), or mse / cross-entropy through a readout",
  },
  {
    key: "dataset",
    flag: "dataset",
    kind: "choice",
    default: "gaussian",
    choices: PROBE_DATASET_NAMES,
    description: "probe inputs: gaussian x ~ N(0, I)",
  },
  {
    key: "inputDim",
    flag: "input-dim",
    kind: "int",
    default: null,
    min: 1,
    max: 1_000_000,
    description: "input dimension (default: the width)",
  },
  {
    key: "outputs",
    flag: "outputs",
    kind: "int",
    default: null,
    min: 1,
    max: 100_000,
    description: "readout size for mse / cross-entropy (default 1 / 10)",
  },
] as const satisfies readonly OptionSpec[];

export const PROBE_OPTIONS = [
  ...NETWORK_OPTIONS,
  {
    key: "repeats",
    flag: "repeats",
    kind: "int",
    default: 1,
    min: 1,
    max: 10_000,
    description: "average over K seeds (seed, seed+1, ...) and report the spread",
  },
] as const satisfies readonly OptionSpec[];

/** The network options `train` shares with `probe` (the readout comes from the dataset). */
const TRAIN_NETWORK_KEYS: readonly string[] = [
  "depth",
  "width",
  "activation",
  "init",
  "weightVar",
  "biasVar",
  "gain",
  "slope",
  "batchNorm",
  "layerNorm",
  "residual",
  "branchScale",
  "seed",
  "dtype",
];

/** Gradient clipping applied before each optimizer step. */
export const CLIP_KINDS = ["none", "global-norm", "layer-norm", "value"] as const;
export type ClipKind = (typeof CLIP_KINDS)[number];

/** The losses a network can be trained with (random-projection has no target to learn). */
export const TRAIN_LOSS_NAMES = ["mse", "cross-entropy"] as const;

/**
 * The options of `gradscope train` and the library's `train()`: the network options of the
 * probe plus data, optimization and recording. A null default is resolved once the dataset
 * is known (loss from its task, learning rate from the optimizer; see train/train-config.ts).
 */
export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  ...NETWORK_OPTIONS.filter((s) => TRAIN_NETWORK_KEYS.includes(s.key)).map((s) =>
    s.key === "seed"
      ? { ...s, description: "random seed (weights, minibatch order; the data unless --data-seed)" }
      : s,
  ),
  {
    key: "batch",
    flag: "batch",
    kind: "int",
    default: 64,
    min: 1,
    max: 1_000_000,
    description: "minibatch size (at most the training set; reshuffled every epoch)",
  },
  {
    key: "loss",
    flag: "loss",
    kind: "choice",
    default: null,
    choices: TRAIN_LOSS_NAMES,
    description: "loss (default: cross-entropy for classification, mse for regression)",
  },
  {
    key: "dataset",
    flag: "dataset",
    kind: "choice",
    default: "spirals",
    choices: TRAIN_DATASET_NAMES,
    description: "training data",
  },
  {
    key: "samples",
    flag: "samples",
    kind: "int",
    default: null,
    min: 1,
    max: 100_000_000,
    description: "examples before the train/test split (synthetic: 1000; mnist, csv: all)",
  },
  {
    key: "noise",
    flag: "noise",
    kind: "number",
    default: null,
    min: 0,
    max: 1e6,
    description: "noise of a synthetic dataset (its own default when omitted)",
  },
  {
    key: "classes",
    flag: "classes",
    kind: "int",
    default: null,
    min: 2,
    max: 10_000,
    description: "classes of spirals and blobs (default 3)",
  },
  {
    key: "testFraction",
    flag: "test-fraction",
    kind: "number",
    default: 0.2,
    min: 0,
    max: 0.99,
    description: "fraction of the examples held out as the test set",
  },
  {
    key: "dataSeed",
    flag: "data-seed",
    kind: "int",
    default: null,
    min: 0,
    max: 4_294_967_295,
    description: "seed of the data and its split (default: --seed)",
  },
  {
    key: "csv",
    flag: "csv",
    kind: "string",
    default: null,
    description: "CSV file for --dataset csv (numeric features and a label column)",
  },
  {
    key: "labelColumn",
    flag: "label-column",
    kind: "string",
    default: null,
    description: "CSV label column: header name or 0-based index (default: the last)",
  },
  {
    key: "task",
    flag: "task",
    kind: "choice",
    default: null,
    choices: [...DATASET_TASKS, ...SEQUENCE_TASKS],
    description:
      "CSV: classification or regression (default: --loss cross-entropy means classification, else inferred from the labels and printed: classes when a label is a word, the labels are 0..K-1, or integers with at most 20 distinct values one of which repeats); --arch rnn/lstm/gru: adding, copy or digits; --arch transformer: sequence or token",
  },
  {
    key: "optimizer",
    flag: "optimizer",
    kind: "choice",
    default: "sgd",
    choices: OPTIMIZER_NAMES,
    description: "optimizer",
  },
  {
    key: "lr",
    flag: "lr",
    kind: "number",
    default: null,
    min: 0,
    max: 1e6,
    description: "base learning rate (default: sgd 0.1, momentum/nesterov 0.01, adam/adamw 0.001)",
  },
  {
    key: "momentum",
    flag: "momentum",
    kind: "number",
    default: null,
    min: 0,
    max: 1,
    description: "heavy-ball momentum of sgd/momentum/nesterov (default 0 / 0.9 / 0.9)",
  },
  {
    key: "weightDecay",
    flag: "weight-decay",
    kind: "number",
    default: null,
    min: 0,
    max: 1e6,
    description: "weight decay: L2 for sgd and adam, decoupled for adamw (default 0, adamw 0.01)",
  },
  {
    key: "schedule",
    flag: "schedule",
    kind: "choice",
    default: "constant",
    choices: SCHEDULE_KINDS,
    description: "learning-rate schedule",
  },
  {
    key: "warmupSteps",
    flag: "warmup-steps",
    kind: "int",
    default: null,
    min: 0,
    max: 1_000_000_000,
    description: "warmup: steps of linear warmup (default: a tenth of --steps)",
  },
  {
    key: "stepSize",
    flag: "step-size",
    kind: "int",
    default: null,
    min: 1,
    max: 1_000_000_000,
    description: "step: multiply the rate by --gamma every N steps (default: a third of --steps)",
  },
  {
    key: "gamma",
    flag: "gamma",
    kind: "number",
    default: 0.1,
    min: 0,
    max: 1e6,
    description: "step: decay factor of the learning rate",
  },
  {
    key: "minLr",
    flag: "min-lr",
    kind: "number",
    default: 0,
    min: 0,
    max: 1e6,
    description: "cosine: final learning rate",
  },
  {
    key: "steps",
    flag: "steps",
    kind: "int",
    default: 500,
    min: 1,
    max: 1_000_000_000,
    description: "optimizer steps",
  },
  {
    key: "clip",
    flag: "clip",
    kind: "choice",
    default: "none",
    choices: CLIP_KINDS,
    description:
      "gradient clipping before each step: global-norm (all gradients together), layer-norm (each parameter tensor on its own), value (each entry)",
  },
  {
    key: "clipThreshold",
    flag: "clip-threshold",
    kind: "number",
    default: 1,
    min: 0,
    max: 1e300,
    description: "clipping threshold: maximum norm (global-norm, layer-norm) or |value|",
  },
  {
    key: "recordEvery",
    flag: "record-every",
    kind: "int",
    default: 10,
    min: 1,
    max: 1_000_000_000,
    description: "measure every layer every K steps (and at the first and last step)",
  },
  {
    key: "evalEvery",
    flag: "eval-every",
    kind: "int",
    default: 50,
    min: 0,
    max: 1_000_000_000,
    description: "train/test loss and accuracy on the full sets every K steps (0: at the end only)",
  },
  {
    key: "out",
    flag: "out",
    kind: "string",
    default: null,
    description: "run directory (default: runs/<time>-<config hash>)",
  },
];

/** The name a user typed for an option: `--depth` for flags, `depth` for config keys. */
export function optionName(spec: OptionSpec, source: OptionSource): string {
  return source === "flag" ? `--${spec.flag}` : spec.key;
}
