import { ACTIVATION_NAMES } from "../core/activations.ts";
import { DTYPES } from "../core/dtype.ts";
import { INIT_NAMES } from "../core/init.ts";
import { LOSS_NAMES } from "../core/loss.ts";

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
  default: number;
  min: number;
  max: number;
}
export interface ChoiceOption extends BaseOption {
  kind: "choice";
  default: string;
  choices: readonly string[];
}
export interface BooleanOption extends BaseOption {
  kind: "boolean";
  default: boolean;
}
export type OptionSpec = IntOption | NumberOption | ChoiceOption | BooleanOption;

export const DATASET_NAMES = ["gaussian"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

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
    choices: DATASET_NAMES,
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

/** The name a user typed for an option: `--depth` for flags, `depth` for config keys. */
export function optionName(spec: OptionSpec, source: OptionSource): string {
  return source === "flag" ? `--${spec.flag}` : spec.key;
}
