import { INIT_NAMES } from "../core/init.ts";
import { RECURRENT_KINDS } from "../core/recurrent/cell.ts";
import { NORM_POSITIONS } from "../core/transformer/block.ts";
import { POSITION_KINDS } from "../core/transformer/positions.ts";
import { ConfigError, parseOptionValue } from "./config.ts";
import { type OptionSource, type OptionSpec, optionName, PROBE_OPTIONS } from "./options.ts";
import { RECURRENT_ONLY_OPTIONS, RECURRENT_SHARED_KEYS } from "./recurrent/config.ts";
import {
  TRANSFORMER_DEFAULTS,
  type TransformerConfig,
  transformerConfig,
} from "./transformer/config.ts";

/** The network families gradscope builds: the fully connected MLP, recurrent nets, transformers. */
export const ARCH_NAMES = ["mlp", ...RECURRENT_KINDS, "transformer"] as const;
export type ArchName = (typeof ARCH_NAMES)[number];

export function isRecurrentArch(arch: ArchName): arch is (typeof RECURRENT_KINDS)[number] {
  return (RECURRENT_KINDS as readonly string[]).includes(arch);
}

const recurrentOnly = (key: string): OptionSpec => {
  const spec = RECURRENT_ONLY_OPTIONS.find((s) => s.key === key)!;
  return { ...spec, default: null } as OptionSpec;
};

/**
 * The options only recurrent nets and transformers have, as one table for the probe's flags
 * (each once: --seq-len serves both). Defaults are null here: each family fills its own, so
 * "given" means typed by the user.
 */
export const ARCH_OPTIONS: readonly OptionSpec[] = [
  {
    key: "arch",
    flag: "arch",
    kind: "choice",
    default: "mlp",
    choices: ARCH_NAMES,
    description:
      "network family: mlp (default), rnn, lstm, gru (unrolled over --seq-len steps) or transformer (encoder blocks)",
  },
  {
    key: "seqLen",
    flag: "seq-len",
    kind: "int",
    default: null,
    min: 1,
    max: 100_000,
    description: "rnn/lstm/gru/transformer: sequence length T (default: rnn 50, transformer 16)",
  },
  { ...recurrentOnly("recurrentInit"), choices: INIT_NAMES } as OptionSpec,
  recurrentOnly("recurrentGain"),
  recurrentOnly("forgetBias"),
  {
    key: "heads",
    flag: "heads",
    kind: "int",
    default: null,
    min: 1,
    max: 256,
    description: "transformer: attention heads (default 4; --width must be a multiple)",
  },
  {
    key: "ffnWidth",
    flag: "ffn-width",
    kind: "int",
    default: null,
    min: 1,
    max: 16_384,
    description:
      "transformer: hidden width of each block's feed-forward network (default 4 x width)",
  },
  {
    key: "normPosition",
    flag: "norm-position",
    kind: "choice",
    default: null,
    choices: NORM_POSITIONS,
    description:
      "transformer: where LayerNorm sits: post (Vaswani), pre (Xiong et al. 2020) or deepnorm (Wang et al. 2022)",
  },
  {
    key: "positions",
    flag: "positions",
    kind: "choice",
    default: null,
    choices: POSITION_KINDS,
    description: "transformer: position encoding (default sinusoidal)",
  },
  {
    key: "vocab",
    flag: "vocab",
    kind: "int",
    default: null,
    min: 2,
    max: 100_000,
    description:
      "transformer: vocabulary of one-hot token inputs (default 16; --input-dim for Gaussian inputs)",
  },
];

/** Which architecture-only options each family reads. */
const ARCH_KEYS: Record<"recurrent" | "transformer", readonly string[]> = {
  recurrent: ["seqLen", "recurrentInit", "recurrentGain", "forgetBias"],
  transformer: ["seqLen", "heads", "ffnWidth", "normPosition", "positions", "vocab"],
};

/** The MLP options each family reads (the rest would be silently ignored: refused instead). */
const SHARED_KEYS: Record<"recurrent" | "transformer", readonly string[]> = {
  recurrent: RECURRENT_SHARED_KEYS,
  transformer: [
    "width",
    "depth",
    "batch",
    "activation",
    "init",
    "weightVar",
    "biasVar",
    "gain",
    "seed",
    "dtype",
    "loss",
    "inputDim",
  ],
};

const WHAT: Record<"mlp" | "recurrent" | "transformer", string> = {
  mlp: "--arch mlp (the default)",
  recurrent: "a recurrent net (one layer unrolled over --seq-len steps)",
  transformer: "a transformer",
};

/**
 * Split the options a user gave into what `arch` reads, refusing any option that would change
 * nothing for it (--depth for an LSTM, --heads for an MLP) with one line. Returns the input of
 * the family's own resolver (the recurrent resolver, or `transformerInput`).
 */
export function archInput(
  arch: ArchName,
  given: Readonly<Record<string, unknown>>,
  source: OptionSource,
): Record<string, unknown> {
  const family = arch === "mlp" ? "mlp" : isRecurrentArch(arch) ? "recurrent" : "transformer";
  const allowed = new Set<string>(
    family === "mlp"
      ? PROBE_OPTIONS.map((s) => s.key)
      : [...ARCH_KEYS[family], ...SHARED_KEYS[family]],
  );
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (key === "arch" || value === undefined || value === null) continue;
    if (!allowed.has(key)) {
      const spec =
        ARCH_OPTIONS.find((s) => s.key === key) ?? PROBE_OPTIONS.find((s) => s.key === key);
      const name = spec ? optionName(spec, source) : key;
      throw new ConfigError(`${name} does not apply to ${WHAT[family]}`);
    }
    out[key] = value;
  }
  return out;
}

/**
 * A TransformerConfig from the user's input (values validated with the CLI's option table,
 * defaults from TRANSFORMER_DEFAULTS; ffnWidth follows width at 4x unless given).
 */
export function transformerInput(
  input: Readonly<Record<string, unknown>>,
  source: OptionSource,
): TransformerConfig {
  const specs = [...ARCH_OPTIONS, ...PROBE_OPTIONS];
  const parsed: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    const spec = specs.find((s) => s.key === key)!;
    parsed[key] = parseOptionValue(spec, raw, source);
  }
  const width = (parsed.width as number | undefined) ?? TRANSFORMER_DEFAULTS.width;
  if (parsed.loss === "mse") {
    throw new ConfigError(
      `${optionName(PROBE_OPTIONS.find((s) => s.key === "loss")!, source)} mse is not available for a transformer (random-projection or cross-entropy)`,
    );
  }
  return transformerConfig({
    ...(parsed as Partial<TransformerConfig>),
    ffnWidth: (parsed.ffnWidth as number | undefined) ?? 4 * width,
  });
}
