import type { TrainConfig } from "./config.ts";
import { resolveTrainConfig } from "./config.ts";
import { loadDatasetAsync } from "./datasets/index.ts";
import type { TrainRecord, TrainStatus } from "./train/recorder.ts";
import { datasetOptions } from "./train/train-config.ts";
import { type TrainResult, train } from "./train/trainer.ts";

/** One configuration of a comparison: a label and what it changes in the base config. */
export interface Variant {
  label: string;
  changes: Readonly<Partial<TrainConfig>>;
}

/**
 * The seed story: a deep sigmoid network with the "standard" init vanishes; each classic
 * remedy is one change away. The base is what `compare --preset seed-story` trains.
 */
export const SEED_STORY = {
  base: {
    depth: 20,
    width: 64,
    activation: "sigmoid",
    init: "standard-uniform",
    dataset: "spirals",
    optimizer: "sgd",
    lr: 0.1,
    steps: 500,
  } satisfies Partial<TrainConfig>,
  variants: [
    { label: "sigmoid, standard-uniform (baseline)", changes: {} },
    { label: "relu", changes: { activation: "relu" } },
    { label: "leaky-relu", changes: { activation: "leaky-relu", slope: 0.01 } },
    { label: "relu + he-normal init", changes: { activation: "relu", init: "he-normal" } },
    { label: "sigmoid + batch norm", changes: { batchNorm: true } },
    { label: "sigmoid + residual", changes: { residual: true } },
  ] satisfies Variant[],
} as const;

export const PRESETS = { "seed-story": SEED_STORY } as const;
export type PresetName = keyof typeof PRESETS;

export interface VariantOutcome {
  label: string;
  changes: Partial<TrainConfig>;
  status: TrainStatus;
  initialLoss: number | null;
  finalLoss: number | null;
  trainAcc: number | null;
  testAcc: number | null;
  testLoss: number | null;
  /** First recorded step whose minibatch loss is at or below the target (null: never). */
  stepsToTarget: number | null;
  /** gradWeightNorm layer 1 / layer L at the first and at the last recorded step. */
  initialGradRatio: number | null;
  finalGradRatio: number | null;
  initialVerdict: string | null;
  finalVerdict: string | null;
  explosion: string | null;
  runDir: string | null;
  elapsedMs: number;
}

export interface Comparison {
  base: Partial<TrainConfig>;
  targetLoss: number;
  outcomes: VariantOutcome[];
  /** Labels ordered best first: by test loss (train loss without a test set), exploded last. */
  ranking: string[];
}

export interface CompareOptions {
  /** Loss a run must reach for `stepsToTarget`; default half the first variant's initial loss. */
  targetLoss?: number;
  /** Directory for the variants' run directories (one sub-directory each). */
  outDir?: string;
  signal?: AbortSignal;
  /** Called before and after each variant (for progress). */
  onVariant?: (index: number, total: number, label: string, outcome?: VariantOutcome) => void;
  /** Called with each variant's full training result (records included). */
  onResult?: (index: number, result: TrainResult) => void;
}

function gradRatio(record: TrainRecord | undefined): number | null {
  if (!record || record.layers.length === 0) return null;
  const first = record.layers[0]!;
  const last = record.layers[record.layers.length - 1]!;
  return first.gradWeightNorm / last.gradWeightNorm;
}

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40);
}

export function outcomeOf(variant: Variant, result: TrainResult, target: number): VariantOutcome {
  const s = result.summary;
  const hit = result.records.find((r) => r.loss <= target);
  return {
    label: variant.label,
    changes: { ...variant.changes },
    status: s.status,
    initialLoss: s.initialLoss,
    finalLoss: s.finalLoss,
    trainAcc: s.trainAcc,
    testAcc: s.testAcc,
    testLoss: s.testLoss,
    stepsToTarget: hit ? hit.step : null,
    initialGradRatio: gradRatio(result.records[0]),
    finalGradRatio: gradRatio(result.records[result.records.length - 1]),
    initialVerdict: s.gradients.initial?.verdict ?? null,
    finalVerdict: s.gradients.final?.verdict ?? null,
    explosion: s.explosion ? s.explosion.message : null,
    runDir: result.runDir,
    elapsedMs: s.elapsedMs,
  };
}

/** Sort key: lower is better; exploded or failed runs go last. */
function score(o: VariantOutcome): number {
  if (o.status === "exploded" || o.status === "failed") return Number.POSITIVE_INFINITY;
  const loss = o.testLoss ?? o.finalLoss;
  return loss === null || !Number.isFinite(loss) ? Number.POSITIVE_INFINITY : loss;
}

/**
 * Train every variant on the same data and seed (only the variant's changes differ) and
 * lay the outcomes side by side. Configs are validated up front, so a bad variant fails
 * before any training starts.
 */
export async function compare(
  base: Readonly<Partial<TrainConfig>>,
  variants: readonly Variant[],
  options: CompareOptions = {},
): Promise<Comparison> {
  if (variants.length === 0) throw new RangeError("compare needs at least one variant");
  const configs = variants.map((v) =>
    resolveTrainConfig({ ...base, ...v.changes, out: null }, "key"),
  );
  // The data depend on the dataset options and the data seed only: load once when all agree.
  const first = configs[0]!;
  const sameData = configs.every(
    (c) =>
      JSON.stringify(datasetOptions(c)) === JSON.stringify(datasetOptions(first)) &&
      c.dataset === first.dataset,
  );
  const shared = sameData
    ? await loadDatasetAsync(first.dataset, datasetOptions(first))
    : undefined;
  const outcomes: VariantOutcome[] = [];
  let target = options.targetLoss ?? Number.NaN;
  for (let i = 0; i < variants.length; i++) {
    if (options.signal?.aborted) break;
    const variant = variants[i]!;
    options.onVariant?.(i, variants.length, variant.label);
    const runDir = options.outDir ? `${options.outDir}/${i + 1}-${slug(variant.label)}` : undefined;
    const result = await train(configs[i]!, {
      ...(shared ? { dataset: shared } : {}),
      ...(runDir ? { runDir } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    options.onResult?.(i, result);
    if (Number.isNaN(target)) target = 0.5 * (result.summary.initialLoss ?? Number.NaN);
    const outcome = outcomeOf(variant, result, target);
    outcomes.push(outcome);
    options.onVariant?.(i, variants.length, variant.label, outcome);
  }
  const ranking = [...outcomes].sort((a, b) => score(a) - score(b)).map((o) => o.label);
  return { base: { ...base }, targetLoss: target, outcomes, ranking };
}

/**
 * Variants from `key=v1,v2,...` specs: the cartesian product of all given keys, values left
 * as strings for the config resolver to validate (so errors name the key).
 */
export function variantsFromVary(specs: readonly string[]): Variant[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) {
      throw new RangeError(`--vary needs KEY=VALUE[,VALUE...] (got '${spec}')`);
    }
    const key = spec.slice(0, eq);
    const values = spec
      .slice(eq + 1)
      .split(",")
      .filter((v) => v !== "");
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  if (combos.length > 64)
    throw new RangeError(`--vary gives ${combos.length} variants; at most 64`);
  return combos.map((changes) => ({
    label:
      Object.entries(changes)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(", ") || "base",
    changes: changes as Partial<TrainConfig>,
  }));
}
