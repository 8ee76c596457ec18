import { residualBranchScale } from "../diagnose/remedies.ts";
import {
  ConfigError,
  oneLine,
  optionApplies,
  parseOptionValue,
  resolveTrainConfig,
  type TrainConfig,
} from "../experiment/config.ts";
import { SYNTHETIC_DATASET_NAMES } from "../experiment/datasets/browser.ts";
import { type OptionSpec, TRAIN_OPTIONS } from "../experiment/options.ts";

/**
 * The options the browser lab shows: a selection of TRAIN_OPTIONS (the same keys, kinds,
 * defaults and descriptions as `gradscope train`), some with a narrower range so a laptop's
 * browser stays responsive. This one table drives the form, the URL hash and validation.
 * DOM-free, so the codec and its tests run in Node.
 */

export type LabGroup = "network" | "training";

export interface LabField {
  /** The option as the lab accepts it (the train option with the lab's range). */
  spec: OptionSpec;
  group: LabGroup;
  /** Short label for the form. */
  label: string;
  /** Shown only when this holds (the value still counts when hidden). */
  relevant?: (config: Readonly<LabInput>) => boolean;
}

/** The values of the lab's options, keyed by option key (null: resolved by the engine). */
export type LabInput = Record<string, string | number | boolean | null>;

interface FieldPlan {
  key: string;
  group: LabGroup;
  label: string;
  max?: number;
  choices?: readonly string[];
  relevant?: (config: Readonly<LabInput>) => boolean;
}

/** Lab limits: deep enough to show vanishing (100 layers), small enough to train live. */
export const LAB_LIMITS = { depth: 100, width: 512, batch: 512, steps: 100_000 } as const;

const PLAN: readonly FieldPlan[] = [
  { key: "depth", group: "network", label: "Depth (layers)", max: LAB_LIMITS.depth },
  { key: "width", group: "network", label: "Width (units)", max: LAB_LIMITS.width },
  { key: "activation", group: "network", label: "Activation" },
  {
    key: "slope",
    group: "network",
    label: "Leaky slope",
    relevant: (c) => c.activation === "leaky-relu",
  },
  { key: "init", group: "network", label: "Initialization" },
  { key: "weightVar", group: "network", label: "Weight variance σw²" },
  { key: "biasVar", group: "network", label: "Bias variance σb²" },
  { key: "batchNorm", group: "network", label: "Batch norm" },
  { key: "layerNorm", group: "network", label: "Layer norm" },
  { key: "residual", group: "network", label: "Residual connections" },
  {
    key: "branchScale",
    group: "network",
    label: "Residual branch scale",
    relevant: (c) => c.residual === true,
  },
  { key: "dtype", group: "network", label: "Float type" },
  {
    key: "dataset",
    group: "training",
    label: "Dataset",
    choices: SYNTHETIC_DATASET_NAMES,
  },
  { key: "batch", group: "training", label: "Batch size", max: LAB_LIMITS.batch },
  { key: "optimizer", group: "training", label: "Optimizer" },
  { key: "lr", group: "training", label: "Learning rate" },
  { key: "clip", group: "training", label: "Gradient clipping" },
  {
    key: "clipThreshold",
    group: "training",
    label: "Clip threshold",
    relevant: (c) => c.clip !== "none",
  },
  { key: "steps", group: "training", label: "Steps", max: LAB_LIMITS.steps },
  { key: "recordEvery", group: "training", label: "Record every (steps)" },
  { key: "seed", group: "training", label: "Seed" },
];

/**
 * Lab defaults that differ from the CLI's. The residual branch scale defaults to 1/depth
 * (empty box), as doctor's residual remedy sets it: with s = 1 every block adds a full φ(u)
 * to the stream and deep residual networks blow up (issue #16).
 */
export const LAB_DEFAULTS: Readonly<Record<string, null>> = { branchScale: null };

function labSpec(plan: FieldPlan): OptionSpec {
  const found = TRAIN_OPTIONS.find((s) => s.key === plan.key);
  if (!found) throw new Error(`lab option ${plan.key} is not a train option`);
  const base: OptionSpec =
    plan.key in LAB_DEFAULTS
      ? ({ ...found, default: LAB_DEFAULTS[plan.key] } as OptionSpec)
      : found;
  if (plan.max !== undefined && (base.kind === "int" || base.kind === "number")) {
    return { ...base, max: Math.min(base.max, plan.max) };
  }
  if (plan.choices && base.kind === "choice") {
    return { ...base, choices: base.choices.filter((c) => plan.choices!.includes(c)) };
  }
  return base;
}

export const LAB_FIELDS: readonly LabField[] = PLAN.map((plan) => {
  const field: LabField = { spec: labSpec(plan), group: plan.group, label: plan.label };
  if (plan.relevant) field.relevant = plan.relevant;
  return field;
});

const BY_KEY = new Map(LAB_FIELDS.map((f) => [f.spec.key, f]));

export function labField(key: string): LabField | undefined {
  return BY_KEY.get(key);
}

/** Every lab option at its default (null where the engine resolves it). */
export function defaultLabInput(): LabInput {
  const out: LabInput = {};
  for (const f of LAB_FIELDS) out[f.spec.key] = f.spec.default;
  return out;
}

/** Problems with a lab input: per option key, plus combination problems under "" . */
export type LabErrors = Map<string, string>;

/**
 * Validate raw values (strings from the form or the URL, or typed values) against the lab's
 * table, with the same one-line messages as the CLI and the library (ConfigError), naming
 * option keys. An empty string or null means "default". Returns the parsed input and every
 * problem found; combination checks (resolveTrainConfig) run only when each value is valid,
 * and their message is filed under the option it names first, else under "".
 */
export function validateLabInput(raw: Readonly<Record<string, unknown>>): {
  input: LabInput;
  errors: LabErrors;
} {
  const input = defaultLabInput();
  const errors: LabErrors = new Map();
  for (const [key, value] of Object.entries(raw)) {
    const field = BY_KEY.get(key);
    if (!field) {
      errors.set(
        "",
        `unknown option '${oneLine(key, 40)}' (known: ${LAB_FIELDS.map((f) => f.spec.key).join(", ")})`,
      );
      continue;
    }
    if (value === null || value === undefined || value === "") {
      input[key] = field.spec.default;
      continue;
    }
    try {
      input[key] = parseOptionValue(field.spec, value, "key") as string | number | boolean;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.set(key, err.message);
      input[key] = field.spec.default;
    }
  }
  if (errors.size === 0) {
    try {
      resolveTrainConfig(toTrainInput(input), "key");
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.set(keyNamedIn(err.message) ?? "", err.message);
    }
  }
  return { input, errors };
}

/** The option key a message starts with (messages name the offending option first). */
function keyNamedIn(message: string): string | null {
  const first = /^[A-Za-z]+/.exec(message)?.[0];
  return first && BY_KEY.has(first) ? first : null;
}

/** The partial TrainConfig of a lab input: null values are left to the engine. */
export function toTrainInput(input: Readonly<LabInput>): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const f of LAB_FIELDS) {
    const v = input[f.spec.key];
    if (v !== null && v !== undefined) out[f.spec.key] = v;
  }
  // An empty branch scale on a residual network: 1/depth (doctor's residual remedy).
  if (input.residual === true && (input.branchScale === null || input.branchScale === undefined)) {
    const depth = typeof out.depth === "number" ? out.depth : 20;
    out.branchScale = residualBranchScale(depth);
  }
  return out as Partial<TrainConfig>;
}

/** Network option keys a probe shares with training (`gradscope probe` flags). */
export const PROBE_KEYS = [
  "depth",
  "width",
  "batch",
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
] as const;

/** The `gradscope probe` input of a lab input: its network, at initialization. */
export function toProbeInput(input: Readonly<LabInput>): Record<string, unknown> {
  const train = toTrainInput(input) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of PROBE_KEYS) if (train[key] !== undefined) out[key] = train[key];
  return out;
}

function shellWord(v: string): string {
  return /^[A-Za-z0-9_.,:+-]+$/.test(v) ? v : `'${v.replace(/'/g, "'\\''")}'`;
}

/**
 * The CLI command that repeats a lab run: `gradscope train` (or `probe`) with every option
 * that differs from its default and changes something, so the terminal gives the same numbers
 * as the page.
 */
export function cliCommand(command: "train" | "probe", input: Readonly<LabInput>): string {
  const values = command === "train" ? toTrainInput(input) : toProbeInput(input);
  // Defaults of options the lab leaves to the engine (init, clip...), for optionApplies.
  const resolved: Record<string, unknown> = {};
  for (const s of TRAIN_OPTIONS) resolved[s.key] = s.default;
  const words = ["gradscope", command];
  for (const f of LAB_FIELDS) {
    const key = f.spec.key;
    const v = (values as Record<string, unknown>)[key];
    if (v === undefined || v === null) continue;
    const train = TRAIN_OPTIONS.find((s) => s.key === key)!;
    if (v === train.default) continue;
    if (!optionApplies(key, { ...resolved, ...values })) continue;
    if (f.spec.kind === "boolean") {
      if (v === true) words.push(`--${f.spec.flag}`);
      continue;
    }
    words.push(`--${f.spec.flag}`, shellWord(String(v)));
  }
  return words.join(" ");
}
