import { ACTIVATION_NAMES, type ActivationName } from "../core/activations.ts";
import { diagnose } from "../diagnose/diagnose.ts";
import type { Diagnosis, DiagnosisConfig, DiagnosisInput } from "../diagnose/types.ts";
import { fmt } from "../verdict/flow-verdict.ts";
import { VERDICT_THRESHOLDS } from "../verdict/thresholds.ts";
import type { TrainConfig } from "./config.ts";
import type { TrainRecord, TrainSummary } from "./train/recorder.ts";

/**
 * Diagnosing any run directory: one written by `gradscope train`, or one imported from the
 * user's own model (python/gradscope_hook.py writes `source: "pytorch-hook"`) or from another
 * tool's logs (`gradscope import tensorboard` writes `source: "tensorboard"`). All share the
 * metric names of metrics.jsonl; an imported run's config describes modules, not a network
 * gradscope can rebuild, so its diagnosis makes no mean-field claim (DiagnosisConfig.source).
 * A metric an imported run could not measure is null in its records.
 */

/** One recorded module of an imported run, in forward order. */
export interface ImportedModule {
  layer: number;
  path: string;
  type: string;
  params?: number;
  /** The activation applied right after it, when the recorder could tell. */
  activation?: string | null;
  /** The module whose output was measured for it (differs for an attention's out_proj). */
  outputOf?: string;
}

/** config.json of an imported run. */
export interface ImportedRunConfig {
  source: string;
  name?: string | null;
  dtype?: "f32" | "f64";
  optimizer?: { type?: string; lr?: number | null } | null;
  modules: ImportedModule[];
}

export type RunSource = "gradscope" | "imported";

export function isImportedConfig(config: unknown): config is ImportedRunConfig {
  return (
    typeof config === "object" &&
    config !== null &&
    typeof (config as { source?: unknown }).source === "string" &&
    Array.isArray((config as { modules?: unknown }).modules)
  );
}

/** The activation most of an imported run's modules are followed by, if gradscope knows it. */
function dominantActivation(modules: readonly ImportedModule[]): ActivationName | null {
  const counts = new Map<string, number>();
  for (const m of modules) {
    if (m.activation) counts.set(m.activation, (counts.get(m.activation) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return top !== undefined && (ACTIVATION_NAMES as readonly string[]).includes(top)
    ? (top as ActivationName)
    : null;
}

/**
 * What the diagnosis needs to know of an imported model: its depth (modules recorded), its
 * dominant activation (for saturation and dead-unit wording), layer norm if it has one, and
 * that its weights are its own.
 */
export function importedDiagnosisConfig(config: ImportedRunConfig): DiagnosisConfig {
  const activation = dominantActivation(config.modules) ?? "identity";
  return {
    source: "imported",
    depth: config.modules.length,
    width: 1,
    activation,
    init: "normal",
    weightVar: 1,
    biasVar: 0,
    gain: 1,
    slope: 0,
    batchNorm: config.modules.some((m) => /BatchNorm/i.test(m.type)),
    layerNorm: config.modules.some((m) => /LayerNorm/i.test(m.type)),
    residual: false,
    branchScale: 1,
    dtype: config.dtype ?? "f32",
  };
}

/**
 * The modules of an imported run the verdict judges: weight layers (Linear, Conv) measured at
 * their own output, in forward order. Norms, embeddings, attention blocks and a projection
 * measured at another module's output (MultiheadAttention never calls out_proj) would mix
 * unlike points into one gradient path. All modules when none qualifies.
 */
export function judgedModules(config: ImportedRunConfig): number[] {
  const layers = config.modules
    .filter((m) => /^(Linear|LazyLinear|Conv\d?d?|Bilinear)$/.test(m.type))
    .filter((m) => m.outputOf === undefined || m.outputOf === m.path)
    .map((m) => m.layer);
  return layers.length >= 2 ? layers : config.modules.map((m) => m.layer);
}

/** The diagnosis input of a run directory's contents, whichever wrote it. */
export function runDiagnosisInput(
  config: TrainConfig | ImportedRunConfig,
  records: readonly TrainRecord[],
  summary: Pick<TrainSummary, "explosion"> | null,
): { source: RunSource; input: DiagnosisInput } {
  // a record without a loss (an import whose loss was not logged on that step) has none: a
  // missing loss is not a non-finite one (NaN comes back from JSON as a number)
  const hasLoss = (r: TrainRecord) => typeof r.loss === "number";
  const snapshots = records.map((r) => ({
    step: r.step,
    layers: r.layers,
    ...(hasLoss(r) ? { loss: r.loss } : {}),
    ...(typeof r.gradNorm === "number" ? { gradNorm: r.gradNorm } : {}),
  }));
  const lossHistory = records.filter(hasLoss).map((r) => ({ step: r.step, loss: r.loss }));
  const explosion = summary?.explosion ?? null;
  if (isImportedConfig(config)) {
    const lr = config.optimizer?.lr;
    const keep = new Set(judgedModules(config));
    const modules = config.modules.filter((m) => keep.has(m.layer));
    // the judged modules renumbered 1..n in forward order (their paths stay on the records)
    const judged = snapshots.map((s) => ({
      ...s,
      layers: s.layers.filter((m) => keep.has(m.layer)).map((m, i) => ({ ...m, layer: i + 1 })),
    }));
    return {
      source: "imported",
      input: {
        config: importedDiagnosisConfig({ ...config, modules }),
        snapshots: judged,
        lossHistory,
        training: typeof lr === "number" ? { lr } : {},
        explosion,
      },
    };
  }
  return {
    source: "gradscope",
    input: {
      config,
      snapshots,
      lossHistory,
      training: {
        ...(config.lr !== null ? { lr: config.lr } : {}),
        clip: config.clip,
        clipThreshold: config.clipThreshold,
        optimizer: config.optimizer,
      },
      explosion,
    },
  };
}

/** Diagnose a run directory's contents (ours or imported). */
export function diagnoseRunContents(
  config: TrainConfig | ImportedRunConfig,
  records: readonly TrainRecord[],
  summary: Pick<TrainSummary, "explosion"> | null,
): { source: RunSource; diagnosis: Diagnosis } {
  const { source, input } = runDiagnosisInput(config, records, summary);
  const diagnosis = diagnose(input);
  return {
    source,
    diagnosis: source === "imported" ? sayWhatWasNotJudged(diagnosis, input) : diagnosis,
  };
}

/**
 * An imported run without per-layer dL/dz (a TensorBoard import, a JAX run without outputs):
 * the verdict's flow measures have nothing to fit, so "healthy" only means that nothing it can
 * see (NaN/Inf, growth of the global gradient norm) was found. Its sentence says so instead of
 * printing NaN spans, and shows the weight-gradient profile for what it is: dL/dW = dL/dz x
 * a_prev mixes the backward gradient with the forward signal, so it is shown, never judged
 * (docs/METRICS.md, firstToLastRatio).
 */
export function sayWhatWasNotJudged(diagnosis: Diagnosis, input: DiagnosisInput): Diagnosis {
  const flowMeasured = input.snapshots.some((s) =>
    s.layers.some((m) => typeof m.gradPreactMeanSq === "number"),
  );
  if (flowMeasured || diagnosis.verdict !== "not-judged") return diagnosis;
  const last = [...input.snapshots]
    .filter((s) => s.layers.length >= 2)
    .sort((a, b) => a.step - b.step)
    .pop();
  let shown = "";
  if (last) {
    const layers = [...last.layers].sort((a, b) => a.layer - b.layer);
    const ratio = layers[0]!.gradWeightNorm / layers[layers.length - 1]!.gradWeightNorm;
    if (Number.isFinite(ratio)) {
      shown = `; shown, not judged: the weight-gradient norm of module 1 over module ${layers.length} at step ${last.step} is ${fmt(ratio)} (dL/dW also carries each layer's input, so it cannot tell a vanishing gradient from a shrinking signal)`;
    }
  }
  const message = `not-judged: the run has no per-layer dL/dz (gradPreactMeanSq), which the vanishing and exploding verdicts read; the verdict's other checks pass (no NaN/Inf, the gradient norm did not grow over ${fmt(VERDICT_THRESHOLDS.growthExploding)}x)${shown}`;
  return {
    ...diagnosis,
    verdictMessage: message,
    headline: diagnosis.healthy ? message : diagnosis.headline,
  };
}
