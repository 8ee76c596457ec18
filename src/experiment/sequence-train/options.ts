import type { RecurrentKind } from "../../core/recurrent/cell.ts";
import { DEFAULT_FORGET_BIAS } from "../../core/recurrent/init-recurrent.ts";
import { TASK_KINDS, type TaskKind } from "../../core/transformer/heads.ts";
import { ARCH_OPTIONS, type ArchName, isRecurrentArch } from "../arch-options.ts";
import { ConfigError, parseOptionValue } from "../config.ts";
import { type OptionSource, type OptionSpec, optionName, TRAIN_OPTIONS } from "../options.ts";
import { resolveRecurrentConfig } from "../recurrent/config.ts";
import {
  isSequenceTaskName,
  SEQUENCE_TASK_NAMES,
  type SequenceTaskName,
} from "../recurrent/tasks.ts";
import { TRANSFORMER_DEFAULTS, transformerConfig } from "../transformer/config.ts";
import type { RecurrentRunConfig, SequenceRunConfig, TransformerRunConfig } from "./types.ts";

/**
 * The options `train` has only for recurrent nets and transformers (beside ARCH_OPTIONS, which
 * `probe --arch` introduced). Defaults are null: each family fills its own.
 */
export const SEQUENCE_TRAIN_OPTIONS: readonly OptionSpec[] = [
  {
    key: "task",
    flag: "task",
    kind: "choice",
    default: null,
    choices: [...SEQUENCE_TASK_NAMES, ...TASK_KINDS],
    description:
      "rnn/lstm/gru: adding (default), copy or digits (MNIST row by row); transformer: sequence (default, majority of token 0 over 1) or token (each position: same token as position 1?)",
  },
  {
    key: "trainSize",
    flag: "train-size",
    kind: "int",
    default: null,
    min: 1,
    max: 10_000_000,
    description: "transformer: examples in the fixed synthetic training set (default 2048)",
  },
  {
    key: "testSize",
    flag: "test-size",
    kind: "int",
    default: null,
    min: 1,
    max: 10_000_000,
    description: "rnn/lstm/gru/transformer: test examples of each evaluation (default 512)",
  },
];

type Family = "recurrent" | "transformer";

/** What both families read from `train`'s table (optimization, recording, the net's scale). */
const COMMON_KEYS = [
  "task",
  "seqLen",
  "width",
  "activation",
  "init",
  "weightVar",
  "biasVar",
  "gain",
  "seed",
  "dtype",
  "batch",
  "optimizer",
  "lr",
  "schedule",
  "warmupSteps",
  "minLr",
  "stepSize",
  "gamma",
  "steps",
  "clip",
  "clipThreshold",
  "recordEvery",
  "evalEvery",
  "testSize",
  "out",
] as const;

const FAMILY_KEYS: Record<Family, readonly string[]> = {
  recurrent: [...COMMON_KEYS, "recurrentInit", "recurrentGain", "forgetBias", "samples"],
  transformer: [
    ...COMMON_KEYS,
    "depth",
    "heads",
    "ffnWidth",
    "normPosition",
    "positions",
    "vocab",
    "trainSize",
  ],
};

const WHAT: Record<Family, string> = {
  recurrent: "a recurrent net (--arch rnn, lstm, gru)",
  transformer: "--arch transformer",
};

/** Every spec a sequence run may read, the architecture's first (--seq-len, --task, ...). */
const SPECS: readonly OptionSpec[] = [...ARCH_OPTIONS, ...SEQUENCE_TRAIN_OPTIONS, ...TRAIN_OPTIONS];
const specOf = (key: string): OptionSpec | undefined => SPECS.find((s) => s.key === key);

/** Defaults of a recurrent run (the acceptance test's budget: Adam 0.01, width 32, float32). */
const RECURRENT_DEFAULTS = {
  task: "adding",
  seqLen: 50,
  width: 32,
  activation: "tanh",
  init: "xavier-uniform",
  recurrentInit: "orthogonal",
  recurrentGain: 1,
  forgetBias: DEFAULT_FORGET_BIAS,
  batch: 32,
  lr: 0.01,
  steps: 500,
} as const;

/** Defaults of a transformer run: the probe's model, trained with Adam 1e-3 on 2048 examples. */
const TRANSFORMER_RUN_DEFAULTS = {
  task: "sequence",
  batch: 32,
  lr: 0.001,
  steps: 300,
  trainSize: 2048,
} as const;

/**
 * The options the user gave, parsed by their specs (flag or key names in errors); an option
 * that changes nothing for this family is refused with one line, as `probe --arch` does.
 */
function parseGiven(
  family: Family,
  given: Readonly<Record<string, unknown>>,
  source: OptionSource,
): Record<string, unknown> {
  const allowed = new Set(FAMILY_KEYS[family]);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(given)) {
    if (key === "arch" || raw === undefined || raw === null) continue;
    const spec = specOf(key);
    if (!spec) {
      const text = JSON.stringify(key).slice(1, -1);
      throw new ConfigError(
        `unknown ${source === "flag" ? "option" : "config key"} '${text}' for ${WHAT[family]}`,
      );
    }
    if (!allowed.has(key)) {
      throw new ConfigError(`${optionName(spec, source)} does not apply to ${WHAT[family]}`);
    }
    out[key] = parseOptionValue(spec, raw, source);
  }
  if (out.clip === "layer-norm" || out.clip === "value") {
    throw new ConfigError(
      `${optionName(specOf("clip")!, source)} ${String(out.clip)} is not available for ${WHAT[family]} (none or global-norm)`,
    );
  }
  return out;
}

const nameOf = (key: string, source: OptionSource): string => optionName(specOf(key)!, source);

/** Fields both families resolve the same way from the parsed input. */
function common(p: Record<string, unknown>, steps: number) {
  const schedule = (p.schedule as RecurrentRunConfig["schedule"] | undefined) ?? "constant";
  return {
    optimizer: (p.optimizer as RecurrentRunConfig["optimizer"] | undefined) ?? "adam",
    schedule,
    warmupSteps:
      schedule === "warmup"
        ? ((p.warmupSteps as number | undefined) ?? Math.max(1, Math.round(steps / 10)))
        : ((p.warmupSteps as number | undefined) ?? null),
    minLr: (p.minLr as number | undefined) ?? 0,
    stepSize:
      schedule === "step"
        ? ((p.stepSize as number | undefined) ?? Math.max(1, Math.round(steps / 3)))
        : ((p.stepSize as number | undefined) ?? null),
    gamma: (p.gamma as number | undefined) ?? 0.1,
    steps,
    clip: (p.clip as "none" | "global-norm" | undefined) ?? "none",
    clipThreshold: (p.clipThreshold as number | undefined) ?? 1,
    recordEvery: (p.recordEvery as number | undefined) ?? 10,
    evalEvery: (p.evalEvery as number | undefined) ?? 50,
    testSize: (p.testSize as number | undefined) ?? 512,
    out: (p.out as string | undefined) ?? null,
  };
}

function resolveRecurrentRun(
  arch: RecurrentKind,
  p: Record<string, unknown>,
  source: OptionSource,
): RecurrentRunConfig {
  const task = (p.task as string | undefined) ?? RECURRENT_DEFAULTS.task;
  if (!isSequenceTaskName(task)) {
    throw new ConfigError(
      `${nameOf("task", source)} ${task} is a transformer task; --arch ${arch} trains on: ${SEQUENCE_TASK_NAMES.join(", ")}`,
    );
  }
  if (task === "digits" && p.seqLen !== undefined && p.seqLen !== 28) {
    throw new ConfigError(
      `${nameOf("seqLen", source)} does not apply to ${nameOf("task", source)} digits (28 rows of 28 pixels)`,
    );
  }
  if (task !== "digits" && p.samples !== undefined) {
    throw new ConfigError(
      `${nameOf("samples", source)} applies to ${nameOf("task", source)} digits only (${task} draws fresh examples every step)`,
    );
  }
  const seqLen =
    task === "digits" ? 28 : ((p.seqLen as number | undefined) ?? RECURRENT_DEFAULTS.seqLen);
  if (seqLen < 2)
    throw new ConfigError(`${nameOf("seqLen", source)} must be at least 2 for ${task}`);
  // the net's fields are checked by the probe's resolver (lstm/gru refuse other activations)
  const net = resolveRecurrentConfig(
    {
      arch,
      seqLen,
      width: p.width ?? RECURRENT_DEFAULTS.width,
      activation: p.activation ?? RECURRENT_DEFAULTS.activation,
      init: p.init ?? RECURRENT_DEFAULTS.init,
      weightVar: p.weightVar ?? 1,
      biasVar: p.biasVar ?? 0,
      gain: p.gain ?? 1,
      recurrentInit: p.recurrentInit ?? RECURRENT_DEFAULTS.recurrentInit,
      recurrentGain: p.recurrentGain ?? RECURRENT_DEFAULTS.recurrentGain,
      forgetBias: p.forgetBias ?? RECURRENT_DEFAULTS.forgetBias,
      batch: p.batch ?? RECURRENT_DEFAULTS.batch,
      seed: p.seed ?? 0,
      dtype: p.dtype ?? "f32",
    },
    source,
  );
  const steps = (p.steps as number | undefined) ?? RECURRENT_DEFAULTS.steps;
  return {
    arch,
    task: task as SequenceTaskName,
    seqLen,
    width: net.width,
    activation: net.activation,
    init: net.init,
    weightVar: net.weightVar,
    biasVar: net.biasVar,
    gain: net.gain,
    recurrentInit: net.recurrentInit,
    recurrentGain: net.recurrentGain,
    forgetBias: net.forgetBias,
    batch: net.batch,
    seed: net.seed,
    dtype: net.dtype,
    samples: (p.samples as number | undefined) ?? null,
    lr: (p.lr as number | undefined) ?? RECURRENT_DEFAULTS.lr,
    ...common(p, steps),
  };
}

function resolveTransformerRun(
  p: Record<string, unknown>,
  source: OptionSource,
): TransformerRunConfig {
  const task = (p.task as string | undefined) ?? TRANSFORMER_RUN_DEFAULTS.task;
  if (!(TASK_KINDS as readonly string[]).includes(task)) {
    throw new ConfigError(
      `${nameOf("task", source)} ${task} is a recurrent task; --arch transformer trains on: ${TASK_KINDS.join(", ")}`,
    );
  }
  if (p.activation !== undefined && p.activation !== "relu" && p.activation !== "gelu") {
    throw new ConfigError(
      `${nameOf("activation", source)} must be relu or gelu for a transformer's FFN (got '${String(p.activation)}')`,
    );
  }
  const width = (p.width as number | undefined) ?? TRANSFORMER_DEFAULTS.width;
  const batch = (p.batch as number | undefined) ?? TRANSFORMER_RUN_DEFAULTS.batch;
  const model = transformerConfig({
    width,
    heads: (p.heads as number | undefined) ?? TRANSFORMER_DEFAULTS.heads,
    ffnWidth: (p.ffnWidth as number | undefined) ?? 4 * width,
    seqLen: (p.seqLen as number | undefined) ?? TRANSFORMER_DEFAULTS.seqLen,
    depth: (p.depth as number | undefined) ?? TRANSFORMER_DEFAULTS.depth,
    normPosition: (p.normPosition as TransformerRunConfig["normPosition"] | undefined) ?? "post",
    positions: (p.positions as TransformerRunConfig["positions"] | undefined) ?? "sinusoidal",
    activation: (p.activation as TransformerRunConfig["activation"] | undefined) ?? "relu",
    vocab: (p.vocab as number | undefined) ?? TRANSFORMER_DEFAULTS.vocab,
    task: task as TaskKind,
    init: (p.init as TransformerRunConfig["init"] | undefined) ?? TRANSFORMER_DEFAULTS.init,
    weightVar: (p.weightVar as number | undefined) ?? 1,
    biasVar: (p.biasVar as number | undefined) ?? 0,
    gain: (p.gain as number | undefined) ?? 1,
    batch,
    seed: (p.seed as number | undefined) ?? 0,
    dtype: (p.dtype as TransformerRunConfig["dtype"] | undefined) ?? "f32",
    loss: "cross-entropy",
  });
  const steps = (p.steps as number | undefined) ?? TRANSFORMER_RUN_DEFAULTS.steps;
  return {
    arch: "transformer",
    task: model.task,
    seqLen: model.seqLen,
    width: model.width,
    depth: model.depth,
    heads: model.heads,
    ffnWidth: model.ffnWidth,
    normPosition: model.normPosition,
    positions: model.positions,
    activation: model.activation,
    vocab: model.vocab,
    init: model.init,
    weightVar: model.weightVar,
    biasVar: model.biasVar,
    gain: model.gain,
    batch: model.batch,
    seed: model.seed,
    dtype: model.dtype,
    trainSize: (p.trainSize as number | undefined) ?? TRANSFORMER_RUN_DEFAULTS.trainSize,
    lr: (p.lr as number | undefined) ?? TRANSFORMER_RUN_DEFAULTS.lr,
    ...common(p, steps),
  };
}

/**
 * A complete, validated run config of `train --arch ARCH` from the user's input (flags, or a
 * config file's keys): options that would change nothing are refused, values checked by the
 * option table, missing ones filled with the family's defaults.
 */
export function resolveSequenceRun(
  arch: Exclude<ArchName, "mlp">,
  given: Readonly<Record<string, unknown>>,
  source: OptionSource,
): SequenceRunConfig {
  const family: Family = isRecurrentArch(arch) ? "recurrent" : "transformer";
  const parsed = parseGiven(family, given, source);
  return isRecurrentArch(arch)
    ? resolveRecurrentRun(arch, parsed, source)
    : resolveTransformerRun(parsed, source);
}

/** The keys of a family (for compare's --vary checks and the tests). */
export function sequenceRunKeys(arch: Exclude<ArchName, "mlp">): readonly string[] {
  return FAMILY_KEYS[isRecurrentArch(arch) ? "recurrent" : "transformer"];
}
