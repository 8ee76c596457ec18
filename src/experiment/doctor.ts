import { diagnose } from "../diagnose/index.ts";
import type { Diagnosis, Finding, Remedy, Snapshot } from "../diagnose/types.ts";
import { outcomeOf, type VariantOutcome } from "./compare.ts";
import { resolveTrainConfig, type TrainConfig } from "./config.ts";
import type { Dataset } from "./datasets/index.ts";
import {
  ACCURACY_GAIN_MARGIN,
  LOSS_GAIN_MARGIN,
  mixedNote,
  type TreatmentVerdict,
  VERDICT_ORDER,
  verdictOf,
} from "./doctor/verdict.ts";
import { defineTask, type JobContext, runJobs, threadDataset } from "./pool/index.ts";
import type { TrainRecord } from "./train/recorder.ts";
import { DEFAULT_LR } from "./train/train-config.ts";
import { type TrainResult, train } from "./train/trainer.ts";

export { ACCURACY_GAIN_MARGIN, LOSS_GAIN_MARGIN, type TreatmentVerdict };

/**
 * Batch-norm statistics recomputed from the final weights before the final evaluation (see
 * doctor/recalibrate-bn.ts), with the numbers the stale running averages gave.
 */
export interface BatchNormRecalibration {
  layers: number;
  before: { trainLoss: number | null; testLoss: number | null; testAcc: number | null };
}

/** One measured run of `doctor`: the outcome as compared, and how it was evaluated. */
export interface DoctorRun {
  outcome: VariantOutcome;
  /** The learning rate the run used. */
  lr: number;
  /** Full-training-set loss at the end (eval mode): what the learning rate is chosen on. */
  trainLoss: number | null;
  /** Non-null when batch-norm statistics were recomputed before the final evaluation. */
  recalibrated: BatchNormRecalibration | null;
  /** Learning rates tried (with --lr-sweep) and the training loss each reached. */
  lrTried: { lr: number; trainLoss: number | null; status: string }[];
}

/** A remedy doctor ran: what it changed, what happened, and how that compares with no change. */
export interface Treatment extends DoctorRun {
  label: string;
  remedyIds: string[];
  changes: Partial<TrainConfig>;
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
  /** How it compares with "no change" on accuracy AND loss (doctor/verdict.ts). */
  verdict: TreatmentVerdict;
  /** For a mixed verdict, which way each measure went; null otherwise. */
  note: string | null;
  /** verdict "better" or "rescued": a measured win on every measure. */
  improves: boolean;
}

export interface DoctorReport {
  config: TrainConfig;
  budget: number;
  diagnosis: Diagnosis;
  baseline: VariantOutcome;
  /** How "no change" was run and evaluated (its learning rate, recalibration). */
  baselineRun: DoctorRun;
  /** Multipliers of the learning rate every configuration was tried at ([1]: no sweep). */
  lrFactors: number[];
  /** Wins first (by accuracy or loss gain, then flow gain), then mixed, no gain, worse. */
  treatments: Treatment[];
  headline: string;
}

export interface DoctorOptions {
  /** Training steps per run (the baseline and every remedy). Default 300. */
  budget?: number;
  /** Most remedies (and combinations) to run. Default 6. */
  maxTreatments?: number;
  /**
   * Learning-rate multipliers to train "no change" and every network remedy at, keeping for
   * each the one with the lowest final training-set loss (the test set chooses nothing).
   * Default [1]: the configuration's own learning rate. `LR_SWEEP` is the CLI's --lr-sweep.
   */
  lrFactors?: readonly number[];
  /** Run directories: DIR/0-no-change, DIR/1-..., ... */
  outDir?: string;
  /**
   * Remedies trained at once, one worker thread each (default 1: all in this thread). Every
   * run is seeded by its config alone, so the report is the same for any count.
   */
  jobs?: number;
  signal?: AbortSignal;
  onStage?: (message: string) => void;
  /**
   * Called with every kept run's result ("no change" first, then the remedies in the order
   * they were tried), e.g. for figures. No network: a remedy may have trained in a worker.
   */
  onRun?: (label: string, result: DoctorRunResult) => void;
}

/** A run's result as it crosses threads: the trained network stays where it was trained. */
export type DoctorRunResult = Omit<TrainResult, "network">;

/** --lr-sweep: a third, the same and three times the learning rate (half a decade apart). */
export const LR_SWEEP: readonly number[] = [1 / 3, 1, 3];

function snapshotsOf(records: readonly TrainRecord[]): Snapshot[] {
  return records.map((r) => ({ step: r.step, layers: r.layers, loss: r.loss }));
}

function diagnoseRun(config: TrainConfig, result: DoctorRunResult): Diagnosis {
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
  /** Whether a set of changes makes a valid config (e.g. not batch norm AND layer norm). */
  valid: (changes: Partial<TrainConfig>) => boolean = () => true,
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
  const out = remedies
    .map((r) => ({ label: r.label, ids: [r.id as string], changes: changesOf(r) }))
    .filter((t) => valid(t.changes));
  const network = remedies.filter((r) => Object.keys(r.configChange).length > 0);
  if (network.length >= 2) {
    const [a, b] = [network[0]!, network[1]!];
    const keysA = Object.keys(a.configChange);
    const changes = { ...changesOf(a), ...changesOf(b) };
    if (!Object.keys(b.configChange).some((k) => keysA.includes(k)) && valid(changes)) {
      out.splice(Math.min(out.length, 2), 0, {
        label: `${a.label} + ${b.label}`,
        ids: [a.id, b.id],
        changes,
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

const broke = (o: VariantOutcome): boolean => o.status === "exploded" || o.status === "failed";

function accuracyOf(o: VariantOutcome): number | null {
  if (broke(o)) return o.testAcc === null ? null : 0;
  return o.testAcc;
}

function lossOf(o: VariantOutcome): number {
  if (broke(o)) return Number.POSITIVE_INFINITY;
  return o.testLoss ?? o.finalLoss ?? Number.POSITIVE_INFINITY;
}

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40);
}

interface RunContext {
  dataset: Dataset;
  target: number;
  outDir: string | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Train one configuration, then (for a network with batch norm that did not blow up)
 * recompute its batch-norm statistics and evaluate the full sets again.
 */
async function runOne(
  config: TrainConfig,
  label: string,
  changes: Partial<TrainConfig>,
  dir: string | null,
  ctx: RunContext,
): Promise<{ run: DoctorRun; result: TrainResult }> {
  const result = await train(config, {
    dataset: ctx.dataset,
    ...(ctx.outDir && dir ? { runDir: `${ctx.outDir}/${dir}` } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const outcome = outcomeOf({ label, changes }, result, ctx.target);
  // With batch norm the trainer's final evaluation already used statistics recomputed from
  // the final weights (precise BN); the numbers with the lagging momentum averages are kept
  // in the summary, and the report shows both.
  const trainLoss = result.summary.trainLoss;
  const bn = result.summary.batchNorm;
  const recalibrated: BatchNormRecalibration | null =
    bn && !broke(outcome)
      ? {
          layers: bn.recalibratedLayers,
          before: {
            trainLoss: bn.runningStats.trainLoss,
            testLoss: bn.runningStats.testLoss,
            testAcc: bn.runningStats.testAcc,
          },
        }
      : null;
  return {
    run: { outcome, lr: result.config.lr, trainLoss, recalibrated, lrTried: [] },
    result,
  };
}

/** Lower is better: a run that blew up or has no finite training loss comes last. */
function selectionLoss(run: DoctorRun): number {
  if (broke(run.outcome)) return Number.POSITIVE_INFINITY;
  const loss = run.trainLoss ?? run.outcome.finalLoss;
  return loss !== null && Number.isFinite(loss) ? loss : Number.POSITIVE_INFINITY;
}

/**
 * Whether loss `a` beats `b` by more than the noise margin (LOSS_GAIN_MARGIN of b): a rate
 * other than the configuration's own must win clearly, not by minibatch luck.
 */
function clearlyLower(a: number, b: number): boolean {
  if (b === Number.POSITIVE_INFINITY) return a < b;
  return a < b - LOSS_GAIN_MARGIN * Math.abs(b);
}

/**
 * Run a configuration at each learning rate of `lrs` and keep the one with the lowest final
 * training-set loss; a later rate replaces an earlier one only when clearly lower, so the
 * configuration's own rate (tried first) is kept unless another clearly beats it.
 */
async function runAtBestLr(
  base: TrainConfig,
  label: string,
  changes: Partial<TrainConfig>,
  lrs: readonly number[],
  dir: string,
  ctx: RunContext,
  suffixLr: boolean = lrs.length > 1,
): Promise<{ run: DoctorRun; result: TrainResult }> {
  let best: { run: DoctorRun; result: TrainResult } | null = null;
  const tried: DoctorRun["lrTried"] = [];
  for (const lr of lrs) {
    if (ctx.signal?.aborted && best) break;
    const config = resolveTrainConfig({ ...base, ...changes, lr, out: null }, "key");
    const sub = suffixLr ? `${dir}-lr${lr}` : dir;
    const r = await runOne(config, label, changes, sub, ctx);
    tried.push({ lr: r.run.lr, trainLoss: r.run.trainLoss, status: r.run.outcome.status });
    if (!best || clearlyLower(selectionLoss(r.run), selectionLoss(best.run))) best = r;
  }
  const kept = best!;
  kept.run.lrTried = lrs.length > 1 ? tried : [];
  return kept;
}

/** One remedy's runs (at each learning rate of `rates`), as sent to a worker thread. */
export interface DoctorRemedyInput {
  /** The resolved configuration doctor diagnosed (the remedy's changes are applied to it). */
  config: TrainConfig;
  label: string;
  changes: Partial<TrainConfig>;
  rates: number[];
  /** Run directory name under outDir (suffixed by the rate when several are tried). */
  dir: string;
  outDir: string | null;
  /** Loss at which stepsToTarget is counted (half the baseline's initial loss). */
  target: number;
}

export interface DoctorRemedyOutput {
  run: DoctorRun;
  result: DoctorRunResult;
}

/**
 * A pool task: train one remedy at its best learning rate, batch-norm recalibration included
 * (it needs the network, so it runs where the network was trained), and return plain data.
 */
export async function doctorRemedyJob(
  input: DoctorRemedyInput,
  { signal }: JobContext,
): Promise<DoctorRemedyOutput> {
  const ctx: RunContext = {
    dataset: await threadDataset(input.config),
    target: input.target,
    outDir: input.outDir ?? undefined,
    signal,
  };
  const { run, result } = await runAtBestLr(
    input.config,
    input.label,
    input.changes,
    input.rates,
    input.dir,
    ctx,
  );
  const { network: _network, ...rest } = result;
  return { run, result: rest };
}

export const DOCTOR_REMEDY_TASK = defineTask<DoctorRemedyInput, DoctorRemedyOutput>(
  import.meta.url,
  "doctorRemedyJob",
);

/**
 * The learning rates to try around `lr`: the configuration's own exactly, first (it wins
 * ties), then the others rounded to 4 significant digits.
 */
function sweepAround(lr: number, factors: readonly number[]): number[] {
  const others = factors.filter((f) => f !== 1).map((f) => Number((lr * f).toPrecision(4)));
  return [...new Set([lr, ...others])];
}

/**
 * Diagnose a configuration by training it for a short budget, then run each applicable remedy
 * (and the best combination) for the same budget on the same data and seed, and rank them by
 * measured improvement in accuracy, loss and gradient flow against "no change".
 */
export async function doctor(
  input: Readonly<Partial<TrainConfig>>,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  const budget = options.budget ?? 300;
  const factors = [...(options.lrFactors ?? [1])];
  if (factors.length === 0 || factors.some((f) => !(f > 0) || !Number.isFinite(f))) {
    throw new RangeError("doctor: lrFactors must be positive finite numbers");
  }
  const config = resolveTrainConfig({ ...input, steps: budget, out: null }, "key");
  // the thread's cached copy: with jobs 1 the remedies (run in this thread) reuse it
  const dataset = await threadDataset(config);
  const ctx: RunContext = {
    dataset,
    target: Number.NaN,
    outDir: options.outDir,
    signal: options.signal,
  };
  options.onStage?.(`doctor: training the configuration as given for ${budget} steps`);
  // The configuration exactly as given: what is diagnosed.
  const lrs = sweepAround(config.lr ?? DEFAULT_LR[config.optimizer], factors);
  const asGiven = await runOne(
    config,
    "no change",
    {},
    lrs.length > 1 ? `0-no-change-lr${lrs[0]}` : "0-no-change",
    ctx,
  );
  const diagnosis = diagnoseRun(config, asGiven.result);
  ctx.target = 0.5 * (asGiven.result.summary.initialLoss ?? Number.NaN);
  asGiven.run.outcome.stepsToTarget =
    asGiven.result.records.find((r) => r.loss <= ctx.target)?.step ?? null;
  const baseLr = asGiven.run.lr;
  let baseline = asGiven;
  if (lrs.length > 1) {
    options.onStage?.(`doctor: learning rates ${lrs.join(", ")} for every configuration`);
    const others = await runAtBestLr(
      config,
      "no change",
      {},
      lrs.slice(1),
      "0-no-change",
      ctx,
      true,
    );
    asGiven.run.lrTried = [
      { lr: baseLr, trainLoss: asGiven.run.trainLoss, status: asGiven.run.outcome.status },
      ...(others.run.lrTried.length > 0
        ? others.run.lrTried
        : [
            {
              lr: others.run.lr,
              trainLoss: others.run.trainLoss,
              status: others.run.outcome.status,
            },
          ]),
    ];
    if (clearlyLower(selectionLoss(others.run), selectionLoss(asGiven.run))) {
      others.run.lrTried = asGiven.run.lrTried;
      baseline = others;
    }
  }
  options.onRun?.("no change", baseline.result);
  const candidates = treatmentsFor(diagnosis, options.maxTreatments ?? 6, (changes) => {
    try {
      resolveTrainConfig({ ...config, ...changes }, "key");
      return true;
    } catch {
      return false; // e.g. batch norm + layer norm: not a network that can be built
    }
  });
  const treatments: Treatment[] = [];
  if (candidates.length > 0) {
    options.onStage?.(`doctor: ${diagnosis.headline}; trying ${candidates.length} remedies`);
    const base = baseline.run.outcome;
    const baseLoss = lossOf(base);
    const baseAcc = accuracyOf(base);
    const baseFlow = absLog10(asGiven.run.outcome.initialGradRatio);
    const baselineBroke = baseLoss === Number.POSITIVE_INFINITY;
    const inputs: DoctorRemedyInput[] = candidates.map((c, i) => ({
      config,
      label: c.label,
      changes: c.changes,
      // A remedy that sets the learning rate is about that rate: it is not swept.
      rates: typeof c.changes.lr === "number" ? [c.changes.lr] : lrs,
      dir: `${i + 1}-${slug(c.label)}`,
      outDir: options.outDir ?? null,
      target: ctx.target,
    }));
    let settled = 0;
    const results = await runJobs(DOCTOR_REMEDY_TASK, inputs, {
      jobs: options.jobs ?? 1,
      ...(options.signal ? { signal: options.signal } : {}),
      onSettled: (i, r) => {
        if (!r.ok) return;
        const { run } = r.value;
        options.onStage?.(
          `doctor: [${++settled}/${candidates.length}] ${inputs[i]!.label}: test loss ${run.outcome.testLoss?.toPrecision(3) ?? "-"}${inputs[i]!.rates.length > 1 ? ` at lr ${run.lr}` : ""}`,
        );
      },
    });
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const r = results[i]!;
      if (!r.ok) {
        // not started (or stopped) by an abort: report what finished, as a sequential run would
        if (options.signal?.aborted) break;
        const error = new Error(`doctor: remedy '${c.label}' failed: ${r.error.message}`);
        error.name = r.error.name;
        throw error;
      }
      const { run, result } = r.value;
      options.onRun?.(c.label, result);
      const outcome = run.outcome;
      const cfg = resolveTrainConfig({ ...config, ...c.changes, lr: run.lr }, "key");
      const remaining = diagnoseRun(cfg, result)
        .findings.filter((f: Finding) => f.severity !== "info")
        .map((f: Finding) => f.id);
      const rawLossGain = baseLoss - lossOf(outcome);
      const lossGain = Number.isNaN(rawLossGain) ? Number.NEGATIVE_INFINITY : rawLossGain;
      const flowGain = baseFlow - absLog10(outcome.initialGradRatio);
      const acc = accuracyOf(outcome);
      // An exploded baseline has no accuracy to compare with; a remedy then "rescues" the run
      // when it completes and its loss ends no higher than it started (it did not blow up).
      const accuracyGain = baselineBroke || acc === null || baseAcc === null ? null : acc - baseAcc;
      const evidence = {
        lossGain,
        baselineLoss: baseLoss,
        accuracyGain,
        baselineBroke,
        sane: isSane(outcome),
        broke: broke(outcome),
      };
      const verdict = verdictOf(evidence);
      treatments.push({
        ...run,
        label: c.label,
        remedyIds: c.ids,
        changes: c.changes,
        lossGain,
        accuracyGain,
        flowGain: Number.isNaN(flowGain) ? 0 : flowGain,
        remaining,
        verdict,
        note: mixedNote(evidence),
        improves: verdict === "better" || verdict === "rescued",
      });
    }
    treatments.sort(compareTreatments);
  }
  const best = treatments.find((t) => t.improves);
  const mixed = treatments.filter((t) => t.verdict === "mixed");
  const mixedText =
    mixed.length > 0
      ? `; mixed evidence (not counted as a win): ${mixed.map((t) => `${t.label} (${t.note})`).join(", ")}`
      : "";
  const base = baseline.run.outcome;
  const headline =
    (diagnosis.findings.length === 0 || diagnosis.healthy
      ? `no gradient-flow problem found in ${budget} steps${best ? `; still, ${best.label} does better (${describeGain(best, base)})` : ""}`
      : best
        ? `${diagnosis.headline}. Best measured remedy: ${best.label} (${describeGain(best, base)})`
        : `${diagnosis.headline}. No remedy beat "no change" on both accuracy and loss within ${budget} steps`) +
    mixedText;
  return {
    config,
    budget,
    diagnosis,
    baseline: base,
    baselineRun: baseline.run,
    lrFactors: factors,
    treatments,
    headline,
  };
}

/** a - b, with equal infinities (and NaN) as a tie. */
const diff = (a: number, b: number): number => (a === b || Number.isNaN(a - b) ? 0 : a - b);

/**
 * Verdict first; then higher accuracy, then lower test loss (the loss itself, not the gain,
 * so runs that rescued an exploded baseline, all with gain +Infinity, are still ordered),
 * then more decades of gradient imbalance removed.
 */
function compareTreatments(a: Treatment, b: Treatment): number {
  return (
    VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict) ||
    diff(b.accuracyGain ?? 0, a.accuracyGain ?? 0) ||
    diff(lossOf(a.outcome), lossOf(b.outcome)) ||
    diff(b.flowGain, a.flowGain)
  );
}

function describeGain(t: Treatment, baseline: VariantOutcome): string {
  const loss = `test loss ${lossOf(t.outcome).toPrecision(3)} vs ${lossOf(baseline).toPrecision(3)}`;
  const acc = accuracyOf(t.outcome);
  const base = accuracyOf(baseline);
  return acc !== null && base !== null
    ? `test accuracy ${(100 * acc).toFixed(1)}% vs ${(100 * base).toFixed(1)}%, ${loss} with no change`
    : `${loss} with no change`;
}
