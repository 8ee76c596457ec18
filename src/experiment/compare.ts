import { gemmBackend } from "../core/kernels/gemm.ts";
import type { TrainConfig } from "./config.ts";
import { ConfigError, resolveTrainConfig } from "./config.ts";
import { DatasetError } from "./datasets/errors.ts";
import { runJobs } from "./pool/pool.ts";
import type { JobResult } from "./pool/task.ts";
import { TRAIN_TASK, type TrainJob, type TrainRun } from "./pool/tasks.ts";
import type { TrainRecord, TrainStatus } from "./train/recorder.ts";

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
  /** The run's verdict (src/verdict judgeRun over every recorded step): what its diagnosis says. */
  verdict: string | null;
  explosion: string | null;
  runDir: string | null;
  elapsedMs: number;
  /** Why the run failed (status "failed": an error, not a finding); absent otherwise. */
  error?: string;
}

export interface Comparison {
  base: Partial<TrainConfig>;
  /**
   * Steps of every run and the seed (of the base; a variant may change them): `doctor --steps
   * N --seed S` trains the same runs, so the numbers line up.
   */
  steps: number;
  seed: number;
  /** The kernels the products ran on (gemmBackend()), e.g. "native avx512 x2". */
  kernels: string;
  targetLoss: number;
  outcomes: VariantOutcome[];
  /** Labels ordered best first: by test loss (train loss without a test set), exploded last. */
  ranking: string[];
  /**
   * Labels of the variants that never started because the comparison was stopped (Ctrl-C);
   * empty for a complete comparison. The ranking covers only the variants that ran.
   */
  notStarted: string[];
}

export interface CompareOptions {
  /** Loss a run must reach for `stepsToTarget`; default half the first variant's initial loss. */
  targetLoss?: number;
  /** Directory for the variants' run directories (one sub-directory each). */
  outDir?: string;
  signal?: AbortSignal;
  /**
   * Variants trained at once, each in its own worker thread (default: min(2, cores)); 1 trains
   * them one after another in this thread. The outcomes do not depend on it.
   */
  jobs?: number;
  /** Called when a variant starts and when it ends (for progress; with jobs > 1 they interleave). */
  onVariant?: (index: number, total: number, label: string, outcome?: VariantOutcome) => void;
  /** Called with each variant's training run (records included), in input order. */
  onResult?: (index: number, result: TrainRun) => void;
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

export function outcomeOf(
  variant: Variant,
  result: Pick<TrainRun, "summary" | "records" | "runDir">,
  target: number,
): VariantOutcome {
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
    verdict: s.verdict ?? null,
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

/** The outcome of a variant whose run threw (e.g. ran out of memory). */
function failedOutcome(variant: Variant, message: string, runDir: string | null): VariantOutcome {
  return {
    label: variant.label,
    changes: { ...variant.changes },
    status: "failed",
    initialLoss: null,
    finalLoss: null,
    trainAcc: null,
    testAcc: null,
    testLoss: null,
    stepsToTarget: null,
    initialGradRatio: null,
    finalGradRatio: null,
    initialVerdict: null,
    finalVerdict: null,
    verdict: null,
    explosion: null,
    runDir,
    elapsedMs: 0,
    error: message,
  };
}

/**
 * Train every variant on the same data and seed (only the variant's changes differ) and
 * lay the outcomes side by side. Configs are validated up front, so a bad variant fails
 * before any training starts. Variants run on a worker pool (`jobs`); each is seeded by its
 * config alone, so the outcomes (all but elapsedMs) are the same for any number of jobs. A
 * variant that throws gets status "failed" and its `error`; the others still run. After an
 * abort, the variants that never started are left out.
 */
export async function compare(
  base: Readonly<Partial<TrainConfig>>,
  variants: readonly Variant[],
  options: CompareOptions = {},
): Promise<Comparison> {
  if (variants.length === 0) throw new RangeError("compare needs at least one variant");
  const jobs: TrainJob[] = variants.map((v, i) => ({
    config: resolveTrainConfig({ ...base, ...v.changes, out: null }, "key"),
    runDir: options.outDir ? `${options.outDir}/${i + 1}-${slug(v.label)}` : null,
  }));
  // Outcomes need the target, which may come from the first run: build them at the end, but
  // report each run as it ends (with the target when it is known by then).
  const total = variants.length;
  const given = options.targetLoss;
  const results = await runJobs(TRAIN_TASK, jobs, {
    ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
    ...(options.signal ? { signal: options.signal } : {}),
    onStart: (i) => options.onVariant?.(i, total, variants[i]!.label),
    onSettled: (i, r) => {
      if (!r.ok && r.error.name === "AbortError") return;
      const outcome = toOutcome(variants[i]!, r, jobs[i]!.runDir, given ?? Number.NaN);
      options.onVariant?.(i, total, variants[i]!.label, outcome);
    },
  });
  // Bad input (a dataset file that will not load, a network over the memory limit) is the
  // caller's error, as it was before the runs moved to workers: rethrow it with its class.
  for (const r of results) {
    if (r.ok) continue;
    if (r.error.name === "ConfigError") throw new ConfigError(r.error.message);
    if (r.error.name === "DatasetError") throw new DatasetError(r.error.message);
  }
  const firstRun = results.find((r) => r.ok);
  const target =
    given ?? 0.5 * (firstRun?.ok ? (firstRun.value.summary.initialLoss ?? Number.NaN) : Number.NaN);
  const outcomes: VariantOutcome[] = [];
  const notStarted: string[] = [];
  results.forEach((r, i) => {
    if (!r.ok && r.error.name === "AbortError") {
      notStarted.push(variants[i]!.label);
      return;
    }
    if (r.ok) options.onResult?.(i, r.value);
    outcomes.push(toOutcome(variants[i]!, r, jobs[i]!.runDir, target));
  });
  const ranking = [...outcomes].sort((a, b) => score(a) - score(b)).map((o) => o.label);
  const resolved = resolveTrainConfig({ ...base, out: null }, "key");
  return {
    base: { ...base },
    steps: resolved.steps,
    seed: resolved.seed,
    kernels: gemmBackend(),
    targetLoss: target,
    outcomes,
    ranking,
    notStarted,
  };
}

function toOutcome(
  variant: Variant,
  result: JobResult<TrainRun>,
  runDir: string | null,
  target: number,
): VariantOutcome {
  return result.ok
    ? outcomeOf(variant, result.value, target)
    : failedOutcome(variant, result.error.message, runDir);
}

/**
 * Variants from `key=v1,v2,...` specs: the cartesian product of all given keys, values left
 * as strings for the config resolver to validate (so errors name the key).
 */
export function variantsFromVary(specs: readonly string[]): Variant[] {
  let combos: Record<string, unknown>[] = [{}];
  const seen = new Set<string>();
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) {
      throw new RangeError(`--vary needs KEY=VALUE[,VALUE...] (got '${spec}')`);
    }
    const key = spec.slice(0, eq);
    if (seen.has(key)) {
      // two --vary of one key would silently keep only the later values in every variant
      throw new RangeError(
        `--vary ${key} is given twice: list all its values in one --vary ${key}=A,B,...`,
      );
    }
    seen.add(key);
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
