import { diagnose } from "../diagnose/index.ts";
import type { Diagnosis, Finding, Remedy, Snapshot } from "../diagnose/types.ts";
import { compare, outcomeOf, type Variant, type VariantOutcome } from "./compare.ts";
import { resolveTrainConfig, type TrainConfig } from "./config.ts";
import { loadDatasetAsync } from "./datasets/index.ts";
import type { TrainRecord } from "./train/recorder.ts";
import { datasetOptions } from "./train/train-config.ts";
import { type TrainResult, train } from "./train/trainer.ts";

/** A remedy doctor ran: what it changed, what happened, and how that compares with no change. */
export interface Treatment {
  label: string;
  remedyIds: string[];
  changes: Partial<TrainConfig>;
  outcome: VariantOutcome;
  /** Baseline loss minus this loss (test loss when there is a test set): > 0 is better. */
  lossGain: number;
  /** Test accuracy minus the baseline's (classification only; null otherwise): > 0 is better. */
  accuracyGain: number | null;
  /**
   * Decades of gradient imbalance removed at initialization: |log10 r0| - |log10 r| with r the
   * layer-1 / layer-L gradient norm ratio (> 0: flow is more even through depth).
   */
  flowGain: number;
  /** Findings (ids) left after the remedy's short run. */
  remaining: string[];
  /**
   * Whether it beat "no change" by more than the noise margin: on test accuracy for
   * classification (what the user is after; a loss can be dominated by a few overconfident
   * errors), on loss for regression.
   */
  improves: boolean;
}

export interface DoctorReport {
  config: TrainConfig;
  budget: number;
  diagnosis: Diagnosis;
  baseline: VariantOutcome;
  /** Best first: by loss gain, then by flow gain; treatments that do not improve come last. */
  treatments: Treatment[];
  headline: string;
}

export interface DoctorOptions {
  /** Training steps per run (the baseline and every remedy). Default 300. */
  budget?: number;
  /** Most remedies (and combinations) to run. Default 6. */
  maxTreatments?: number;
  /** Run directories: DIR/0-no-change, DIR/1-..., ... */
  outDir?: string;
  signal?: AbortSignal;
  onStage?: (message: string) => void;
  /** Called with every run's full result ("no change" first), e.g. for figures. */
  onRun?: (label: string, result: TrainResult) => void;
}

/** Loss gains smaller than this count as "no measurable gain" (minibatch noise at this budget). */
export const LOSS_GAIN_MARGIN = 0.02;
/**
 * Accuracy gains smaller than this count as "no measurable gain": about two standard errors
 * of an accuracy near 50% on the default 200-example test set.
 */
export const ACCURACY_GAIN_MARGIN = 0.07;

function snapshotsOf(records: readonly TrainRecord[]): Snapshot[] {
  return records.map((r) => ({ step: r.step, layers: r.layers, loss: r.loss }));
}

function diagnoseRun(config: TrainConfig, result: TrainResult): Diagnosis {
  return diagnose({
    config,
    snapshots: snapshotsOf(result.records),
    lossHistory: result.records.map((r) => ({ step: r.step, loss: r.loss })),
    training: {
      lr: result.config.lr ?? undefined,
      clip: config.clip,
      clipThreshold: config.clipThreshold,
      optimizer: config.optimizer,
    },
  });
}

/** The changes a remedy makes to a training config. */
function changesOf(remedy: Remedy): Partial<TrainConfig> {
  const changes: Partial<TrainConfig> = { ...(remedy.configChange as Partial<TrainConfig>) };
  const t = remedy.trainChange;
  if (t?.lr !== undefined) changes.lr = t.lr;
  if (t?.clip !== undefined) changes.clip = t.clip;
  if (t?.clipThreshold !== undefined) changes.clipThreshold = t.clipThreshold;
  return changes;
}

/**
 * Candidate treatments: every remedy of every finding (most severe finding first, best rank
 * first), then the two best network remedies together when they touch different fields.
 */
export function treatmentsFor(
  diagnosis: Diagnosis,
  max: number,
): { label: string; ids: string[]; changes: Partial<TrainConfig> }[] {
  const remedies: Remedy[] = [];
  const seen = new Set<string>();
  for (const finding of diagnosis.findings) {
    if (finding.severity === "info") continue;
    for (const r of [...finding.remedies].sort((a, b) => a.rank - b.rank)) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      remedies.push(r);
    }
  }
  const out = remedies.map((r) => ({
    label: r.label,
    ids: [r.id as string],
    changes: changesOf(r),
  }));
  const network = remedies.filter((r) => Object.keys(r.configChange).length > 0);
  if (network.length >= 2) {
    const [a, b] = [network[0]!, network[1]!];
    const keysA = Object.keys(a.configChange);
    if (!Object.keys(b.configChange).some((k) => keysA.includes(k))) {
      out.splice(Math.min(out.length, 2), 0, {
        label: `${a.label} + ${b.label}`,
        ids: [a.id, b.id],
        changes: { ...changesOf(a), ...changesOf(b) },
      });
    }
  }
  return out.slice(0, max);
}

function absLog10(r: number | null): number {
  return r !== null && r > 0 && Number.isFinite(r)
    ? Math.abs(Math.log10(r))
    : Number.POSITIVE_INFINITY;
}

/** Completed with a finite loss that ended no higher than it started. */
function isSane(o: VariantOutcome): boolean {
  return (
    o.status === "completed" &&
    o.finalLoss !== null &&
    Number.isFinite(o.finalLoss) &&
    o.initialLoss !== null &&
    o.finalLoss <= o.initialLoss
  );
}

function accuracyOf(o: VariantOutcome): number | null {
  if (o.status === "exploded" || o.status === "failed") return o.testAcc === null ? null : 0;
  return o.testAcc;
}

function lossOf(o: VariantOutcome): number {
  if (o.status === "exploded" || o.status === "failed") return Number.POSITIVE_INFINITY;
  return o.testLoss ?? o.finalLoss ?? Number.POSITIVE_INFINITY;
}

/**
 * Diagnose a configuration by training it for a short budget, then run each applicable remedy
 * (and the best combination) for the same budget on the same data and seed, and rank them by
 * measured improvement in loss and in gradient flow against "no change".
 */
export async function doctor(
  input: Readonly<Partial<TrainConfig>>,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const budget = options.budget ?? 300;
  const config = resolveTrainConfig({ ...input, steps: budget, out: null }, "key");
  const dataset = await loadDatasetAsync(config.dataset, datasetOptions(config));
  options.onStage?.(`doctor: training the configuration as given for ${budget} steps`);
  const baselineRun = await train(config, {
    dataset,
    ...(options.outDir ? { runDir: `${options.outDir}/0-no-change` } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.onRun?.("no change", baselineRun);
  const diagnosis = diagnoseRun(config, baselineRun);
  const baseline = outcomeOf(
    { label: "no change", changes: {} },
    baselineRun,
    0.5 * (baselineRun.summary.initialLoss ?? Number.NaN),
  );
  const candidates = treatmentsFor(diagnosis, options.maxTreatments ?? 6);
  const treatments: Treatment[] = [];
  if (candidates.length > 0) {
    options.onStage?.(`doctor: ${diagnosis.headline}; trying ${candidates.length} remedies`);
    const variants: Variant[] = candidates.map((c) => ({ label: c.label, changes: c.changes }));
    const remaining: string[][] = [];
    const result = await compare(config, variants, {
      targetLoss: 0.5 * (baseline.initialLoss ?? Number.NaN),
      ...(options.outDir ? { outDir: options.outDir } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onVariant: (i, total, label, outcome) => {
        if (outcome)
          options.onStage?.(
            `doctor: [${i + 1}/${total}] ${label}: final loss ${outcome.finalLoss?.toPrecision(3) ?? "-"}`,
          );
      },
      onResult: (i, run) => {
        options.onRun?.(variants[i]!.label, run);
        const cfg = resolveTrainConfig({ ...config, ...variants[i]!.changes }, "key");
        remaining[i] = diagnoseRun(cfg, run)
          .findings.filter((f: Finding) => f.severity !== "info")
          .map((f: Finding) => f.id);
      },
    });
    const baseLoss = lossOf(baseline);
    const baseFlow = absLog10(baseline.initialGradRatio);
    result.outcomes.forEach((outcome, i) => {
      const lossGain = baseLoss - lossOf(outcome);
      const flowGain = baseFlow - absLog10(outcome.initialGradRatio);
      const acc = accuracyOf(outcome);
      const baseAcc = accuracyOf(baseline);
      const baselineBroke = baseLoss === Number.POSITIVE_INFINITY;
      // An exploded baseline has no accuracy to compare with; a remedy then "rescues" the run
      // when it completes and its loss ends no higher than it started (it did not blow up).
      const accuracyGain = baselineBroke || acc === null || baseAcc === null ? null : acc - baseAcc;
      const rescued = baselineBroke && isSane(outcome);
      treatments.push({
        label: candidates[i]!.label,
        remedyIds: candidates[i]!.ids,
        changes: candidates[i]!.changes,
        outcome,
        lossGain: Number.isNaN(lossGain) ? Number.NEGATIVE_INFINITY : lossGain,
        accuracyGain,
        flowGain: Number.isNaN(flowGain) ? 0 : flowGain,
        remaining: remaining[i] ?? [],
        improves: baselineBroke
          ? rescued
          : accuracyGain !== null
            ? accuracyGain > ACCURACY_GAIN_MARGIN
            : lossGain > LOSS_GAIN_MARGIN,
      });
    });
    treatments.sort(
      (a, b) =>
        Number(b.improves) - Number(a.improves) ||
        (b.accuracyGain ?? 0) - (a.accuracyGain ?? 0) ||
        b.lossGain - a.lossGain ||
        b.flowGain - a.flowGain,
    );
  }
  const best = treatments.find((t) => t.improves);
  const headline =
    diagnosis.findings.length === 0 || diagnosis.healthy
      ? `no gradient-flow problem found in ${budget} steps${best ? `; still, ${best.label} does better (${describeGain(best, baseline)})` : ""}`
      : best
        ? `${diagnosis.headline}. Best measured remedy: ${best.label} (${describeGain(best, baseline)})`
        : `${diagnosis.headline}. No remedy beat "no change" within ${budget} steps`;
  return { config, budget, diagnosis, baseline, treatments, headline };
}

function describeGain(t: Treatment, baseline: VariantOutcome): string {
  const loss = `loss ${lossOf(t.outcome).toPrecision(3)} vs ${lossOf(baseline).toPrecision(3)}`;
  const acc = accuracyOf(t.outcome);
  const base = accuracyOf(baseline);
  return acc !== null && base !== null
    ? `test accuracy ${(100 * acc).toFixed(1)}% vs ${(100 * base).toFixed(1)}%, ${loss} with no change`
    : `${loss} with no change`;
}
