import type { ActivationName } from "../core/activations.ts";
import type { DType } from "../core/dtype.ts";
import type { InitName } from "../core/init.ts";
import type { LossName } from "../core/loss.ts";
import type { OptimizerName, ScheduleKind } from "../core/optim/index.ts";
import { DATASET_TASKS, type DatasetTask } from "./datasets/dataset.ts";
import {
  type ClipKind,
  NETWORK_OPTIONS,
  type OptionSource,
  type OptionSpec,
  optionName,
  PROBE_OPTIONS,
  type ProbeDatasetName,
  TRAIN_OPTIONS,
  type TrainDatasetName,
} from "./options.ts";
import { DEFAULT_LR } from "./train/train-config.ts";

/** A fully resolved network configuration: plain JSON data, every field present. */
export interface NetworkConfig {
  depth: number;
  width: number;
  batch: number;
  activation: ActivationName;
  init: InitName;
  weightVar: number;
  biasVar: number;
  gain: number;
  slope: number;
  batchNorm: boolean;
  layerNorm: boolean;
  residual: boolean;
  branchScale: number;
  seed: number;
  dtype: DType;
  loss: LossName;
  dataset: ProbeDatasetName;
  /** Input dimension; null means "the width". */
  inputDim: number | null;
  /** Readout size for mse / cross-entropy; null means the loss's default. */
  outputs: number | null;
}

export interface ProbeConfig extends NetworkConfig {
  repeats: number;
}

/** A config problem, phrased for the person who typed it (one line). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Text safe to print on a terminal: control characters (C0, DEL, C1, which can move the
 * cursor or recolour the screen) and line separators escaped as \\uXXXX, so a message stays
 * one harmless line; cut after `max` characters (a 10 MB value is not echoed whole).
 */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  let out = "";
  for (const c of text) {
    const code = c.charCodeAt(0);
    out +=
      code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029
        ? `\\u${code.toString(16).padStart(4, "0")}`
        : c;
    if (out.length > max) return `${out.slice(0, max)}...`;
  }
  return out;
}

function describeValue(v: unknown): string {
  // Control characters are escaped so that a message stays one line whatever was typed.
  return typeof v === "string"
    ? `'${oneLine(v, 80)}'`
    : oneLine(JSON.stringify(v) ?? String(v), 80);
}

/** A number in decimal notation, as a user types it: 3, -0.5, .5, 1e-3, 2.5E+4. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Validate one raw value (a CLI string or a JSON value) against its option spec. */
export function parseOptionValue(spec: OptionSpec, raw: unknown, source: OptionSource): unknown {
  const name = optionName(spec, source);
  const got = `(got ${describeValue(raw)})`;
  switch (spec.kind) {
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      if (raw === "true") return true;
      if (raw === "false") return false;
      throw new ConfigError(`${name} must be true or false ${got}`);
    }
    case "string": {
      if (typeof raw === "string" && raw.trim() !== "") return raw;
      if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
      throw new ConfigError(`${name} must be a non-empty string ${got}`);
    }
    case "choice": {
      if (typeof raw === "string" && spec.choices.includes(raw)) return raw;
      throw new ConfigError(`${name} must be one of: ${spec.choices.join(", ")} ${got}`);
    }
    case "int":
    case "number": {
      // Decimal notation only: Number() would also take "0x10", "0b101" and "0o7", which no
      // one means as a learning rate or a width.
      const value =
        typeof raw === "number"
          ? raw
          : typeof raw === "string" && DECIMAL.test(raw.trim())
            ? Number(raw)
            : Number.NaN;
      if (!Number.isFinite(value)) throw new ConfigError(`${name} must be a number ${got}`);
      if (spec.kind === "int" && !Number.isInteger(value)) {
        throw new ConfigError(`${name} must be an integer ${got}`);
      }
      if (value < spec.min || value > spec.max) {
        // name the bound that was crossed: 1e308 is not refused for being below 0
        const open = spec.min === 0 && spec.kind === "number";
        const range = !open
          ? `between ${spec.min} and ${spec.max}`
          : value < spec.min
            ? ">= 0"
            : `<= ${spec.max}`;
        throw new ConfigError(`${name} must be ${range} ${got}`);
      }
      return value;
    }
  }
}

/**
 * Every option of `specs` from partial input: unknown keys refused (`what` names the kind of
 * config in the message, e.g. " for a recurrent net"), given values validated, the rest their
 * defaults. The one resolver of every option table (MLP, recurrent, transformer).
 */
export function resolveOptions(
  specs: readonly OptionSpec[],
  input: Readonly<Record<string, unknown>>,
  source: OptionSource,
  what = "",
): Record<string, unknown> {
  const byKey = new Map(specs.map((s) => [s.key, s]));
  for (const key of Object.keys(input)) {
    if (!byKey.has(key)) {
      const known = specs.map((s) => (source === "flag" ? `--${s.flag}` : s.key)).join(", ");
      throw new ConfigError(
        `unknown ${source === "flag" ? "option" : "config key"} '${oneLine(key, 80)}'${what} (known: ${known})`,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = input[spec.key];
    out[spec.key] =
      raw === undefined || raw === null ? spec.default : parseOptionValue(spec, raw, source);
  }
  return out;
}

/** Checks between fields that no single option can make. */
function checkCombination(config: NetworkConfig, source: OptionSource): void {
  const name = (key: string): string => {
    const spec = NETWORK_OPTIONS.find((s) => s.key === key)!;
    return optionName(spec, source);
  };
  if (config.batchNorm && config.layerNorm) {
    throw new ConfigError(`${name("batchNorm")} and ${name("layerNorm")} cannot both be on`);
  }
  if (config.batchNorm && config.batch < 2) {
    throw new ConfigError(
      `${name("batchNorm")} needs ${name("batch")} of at least 2 (got ${config.batch})`,
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

/** Inits whose scale sigma_w^2 sets; the named schemes (xavier, he, lecun...) fix their own. */
const WEIGHT_VAR_INITS: readonly string[] = ["normal", "uniform", "orthogonal", "identity"];

/**
 * Options given on the command line that would change nothing in this configuration: a
 * silent no-op misleads (`--slope 0.2` with tanh looks like an experiment and is none), so
 * the CLI refuses them. Only keys the user gave with a non-default value count.
 */
function checkApplicable(
  config: Readonly<Record<string, unknown>>,
  input: Readonly<Record<string, unknown>>,
  specs: readonly OptionSpec[],
  source: OptionSource,
): void {
  const given = (key: string): boolean => {
    const spec = specs.find((s) => s.key === key);
    const v = input[key];
    return spec !== undefined && v !== undefined && v !== null && config[key] !== spec.default;
  };
  const name = (key: string): string => optionName(specs.find((s) => s.key === key)!, source);
  const needs: Readonly<Record<string, () => string>> = {
    weightVar: () =>
      `${name("init")} ${WEIGHT_VAR_INITS.join(", ")} (${String(config.init)} sets its own scale; ${name("gain")} scales any init)`,
    slope: () => `${name("activation")} leaky-relu`,
    branchScale: () => name("residual"),
    warmupSteps: () => `${name("schedule")} warmup`,
    stepSize: () => `${name("schedule")} step`,
    gamma: () => `${name("schedule")} step`,
    minLr: () => `${name("schedule")} cosine`,
    clipThreshold: () => `${name("clip")} global-norm, layer-norm or value`,
  };
  for (const [key, need] of Object.entries(needs)) {
    if (specs.some((s) => s.key === key) && !optionApplies(key, config) && given(key)) {
      throw new ConfigError(`${name(key)} has no effect without ${need()}: remove it`);
    }
  }
}

/**
 * Whether option `key` changes anything in a configuration with these values (missing values
 * count as the defaults): the rule behind the CLI's refusal of no-op flags, and what the lab
 * leaves out of the command line it shows.
 */
export function optionApplies(key: string, values: Readonly<Record<string, unknown>>): boolean {
  const v = (k: string): unknown =>
    values[k] ?? TRAIN_OPTIONS.find((s) => s.key === k)?.default ?? null;
  switch (key) {
    case "weightVar":
      return WEIGHT_VAR_INITS.includes(String(v("init")));
    case "slope":
      return v("activation") === "leaky-relu";
    case "branchScale":
      return v("residual") === true;
    case "warmupSteps":
      return v("schedule") === "warmup";
    case "stepSize":
    case "gamma":
      return v("schedule") === "step";
    case "minLr":
      return v("schedule") === "cosine";
    case "clipThreshold":
      return v("clip") !== "none";
    default:
      return true;
  }
}

/**
 * A complete, validated ProbeConfig from partial input (camelCase keys). Missing keys take
 * their defaults; unknown keys, wrong types and out-of-range values throw a ConfigError
 * naming the flag (source "flag") or the JSON key (source "key").
 */
export function resolveProbeConfig(
  input: Readonly<Record<string, unknown>> = {},
  source: OptionSource = "key",
): ProbeConfig {
  const config = resolveOptions(PROBE_OPTIONS, input, source) as unknown as ProbeConfig;
  checkCombination(config, source);
  if (source === "flag") checkApplicable({ ...config }, input, PROBE_OPTIONS, source);
  return config;
}

/** The same for a network without probe-only options. */
export function resolveNetworkConfig(
  input: Readonly<Record<string, unknown>> = {},
  source: OptionSource = "key",
): NetworkConfig {
  const config = resolveOptions(NETWORK_OPTIONS, input, source) as unknown as NetworkConfig;
  checkCombination(config, source);
  return config;
}

/** Effective input dimension and readout size of a config. */
export function networkShape(config: NetworkConfig): { inputDim: number; outputs: number } {
  const inputDim = config.inputDim ?? config.width;
  const outputs =
    config.loss === "random-projection" ? 0 : (config.outputs ?? (config.loss === "mse" ? 1 : 10));
  return { inputDim, outputs };
}

/**
 * A training run: the network options of the probe, the data, the optimizer and what to
 * record. Plain JSON data. A null field means "resolved from the dataset or optimizer" (see
 * `completeTrainConfig` in train/train-config.ts, which fills every one of them).
 */
export interface TrainConfig {
  depth: number;
  width: number;
  /** Minibatch size. */
  batch: number;
  activation: ActivationName;
  init: InitName;
  weightVar: number;
  biasVar: number;
  gain: number;
  slope: number;
  batchNorm: boolean;
  layerNorm: boolean;
  residual: boolean;
  branchScale: number;
  seed: number;
  dtype: DType;
  /** null: cross-entropy for classification, mse for regression. */
  loss: "mse" | "cross-entropy" | null;
  dataset: TrainDatasetName;
  samples: number | null;
  noise: number | null;
  classes: number | null;
  testFraction: number;
  /** Seed of the data; null: `seed`. */
  dataSeed: number | null;
  csv: string | null;
  labelColumn: string | null;
  /** CSV task; null: classification for loss cross-entropy, else inferred from the labels. */
  task: DatasetTask | null;
  optimizer: OptimizerName;
  /** null: 0.1 for sgd, 0.01 for momentum and nesterov, 0.001 for adam and adamw. */
  lr: number | null;
  momentum: number | null;
  weightDecay: number | null;
  schedule: ScheduleKind;
  warmupSteps: number | null;
  stepSize: number | null;
  gamma: number;
  minLr: number;
  steps: number;
  clip: ClipKind;
  clipThreshold: number;
  recordEvery: number;
  /** 0: evaluate at the end only. */
  evalEvery: number;
  /** Run directory; null: runs/<time>-<config hash> (CLI). */
  out: string | null;
}

/** Checks between training fields that no single option can make. */
function checkTrainCombination(config: TrainConfig, source: OptionSource): void {
  const name = (key: string): string => {
    const spec = TRAIN_OPTIONS.find((s) => s.key === key)!;
    return optionName(spec, source);
  };
  if (config.batchNorm && config.layerNorm) {
    throw new ConfigError(`${name("batchNorm")} and ${name("layerNorm")} cannot both be on`);
  }
  if (config.batchNorm && config.batch < 2) {
    throw new ConfigError(
      `${name("batchNorm")} needs ${name("batch")} of at least 2 (got ${config.batch})`,
    );
  }
  if (config.dataset === "csv" && config.csv === null) {
    throw new ConfigError(`${name("dataset")} csv needs ${name("csv")} FILE`);
  }
  if (config.dataset !== "csv" && config.csv !== null) {
    throw new ConfigError(`${name("csv")} needs ${name("dataset")} csv`);
  }
  if (config.dataset !== "csv" && config.labelColumn !== null) {
    throw new ConfigError(`${name("labelColumn")} needs ${name("dataset")} csv`);
  }
  if (config.task !== null && !(DATASET_TASKS as readonly string[]).includes(config.task)) {
    throw new ConfigError(
      `${name("task")} ${config.task} is a task of --arch rnn, lstm, gru or transformer; an MLP on a CSV takes ${DATASET_TASKS.join(" or ")}`,
    );
  }
  if (config.dataset !== "csv" && config.task !== null) {
    throw new ConfigError(
      `${name("task")} applies to ${name("dataset")} csv (${config.dataset} is ${config.dataset === "teacher" ? "regression" : "classification"})`,
    );
  }
  if (config.task === "regression" && config.loss === "cross-entropy") {
    throw new ConfigError(
      `${name("loss")} cross-entropy needs classes: ${name("task")} regression reads the labels as numbers (use ${name("loss")} mse, or ${name("task")} classification)`,
    );
  }
  if (config.dataset === "teacher" && config.loss === "cross-entropy") {
    throw new ConfigError(
      `${name("loss")} cross-entropy needs classes: dataset teacher is regression (use mse)`,
    );
  }
  if (config.classes !== null && config.dataset !== "spirals" && config.dataset !== "blobs") {
    throw new ConfigError(`${name("classes")} applies to ${name("dataset")} spirals or blobs`);
  }
  if (config.momentum !== null && (config.optimizer === "adam" || config.optimizer === "adamw")) {
    throw new ConfigError(
      `${name("momentum")} applies to ${name("optimizer")} sgd, momentum or nesterov (got ${config.optimizer})`,
    );
  }
  if (config.optimizer === "nesterov" && config.momentum === 0) {
    throw new ConfigError(`${name("optimizer")} nesterov needs ${name("momentum")} > 0`);
  }
  if (config.clip !== "none" && !(config.clipThreshold > 0)) {
    throw new ConfigError(`${name("clipThreshold")} must be > 0 (got ${config.clipThreshold})`);
  }
  if (
    config.schedule === "warmup" &&
    config.warmupSteps !== null &&
    config.warmupSteps > config.steps
  ) {
    throw new ConfigError(
      `${name("warmupSteps")} (${config.warmupSteps}) must be at most ${name("steps")} (${config.steps})`,
    );
  }
  if (config.schedule === "step" && !(config.gamma > 0)) {
    throw new ConfigError(`${name("gamma")} must be > 0 (got ${config.gamma})`);
  }
  const lr = config.lr ?? DEFAULT_LR[config.optimizer];
  if (config.schedule === "cosine" && config.minLr > lr) {
    throw new ConfigError(
      `${name("minLr")} (${config.minLr}) must be at most the learning rate ${name("lr")} (${lr}${config.lr === null ? `, ${config.optimizer}'s default` : ""})`,
    );
  }
}

/**
 * A complete, validated TrainConfig from partial input (camelCase keys), like
 * `resolveProbeConfig`: missing keys take their defaults (possibly null, see TrainConfig);
 * unknown keys, wrong types and out-of-range values throw a ConfigError naming the flag or key.
 */
export function resolveTrainConfig(
  input: Readonly<Record<string, unknown>> | Readonly<Partial<TrainConfig>> = {},
  source: OptionSource = "key",
): TrainConfig {
  const raw = input as Readonly<Record<string, unknown>>;
  const config = resolveOptions(TRAIN_OPTIONS, raw, source) as unknown as TrainConfig;
  checkTrainCombination(config, source);
  if (source === "flag") checkApplicable({ ...config }, raw, TRAIN_OPTIONS, source);
  return config;
}
