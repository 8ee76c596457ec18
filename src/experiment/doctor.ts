import { gemmBackend } from "../core/kernels/gemm.ts";
import { RULES } from "../diagnose/index.ts";
import type { Diagnosis, Finding, Remedy } from "../diagnose/types.ts";
import { outcomeOf, type VariantOutcome } from "./compare.ts";
import { resolveTrainConfig, type TrainConfig } from "./config.ts";
import { type Chance, chanceOf } from "./doctor/chance.ts";
import {
  type ChanceBySeed,
  DEFAULT_SEEDS,
  DIVERGED_FACTOR,
  EXPLODING_LR_FACTORS,
  HIGHER_LR_FACTOR,
  judge,
  judgeSeeds,
  keptRateIndex,
  LR_FACTORS,
  MORE_SEEDS_ROUNDS,
  meanOf,
  needsMoreSeeds,
  orderTreatments,
  type RateTried,
  rateTried,
  type SeedOutcome,
  sameRate,
  seedAcc,
  seedBroke,
  selectionLoss,
  sweepAround,
  treatmentJudgment,
} from "./doctor/paired.ts";
import { NOISE_STANDARD_ERRORS, type Spread } from "./doctor/stats.ts";
import {
  ACCURACY_GAIN_MARGIN,
  CHANCE_LOSS_MARGIN,
  LOSS_GAIN_MARGIN,
  type TreatmentVerdict,
} from "./doctor/verdict.ts";
import {
  defineTask,
  type JobContext,
  type JobResult,
  type RunJobsOptions,
  runJobs,
  threadDataset,
  WorkerPool,
} from "./pool/index.ts";
import { diagnoseTraining } from "./train/diagnose-training.ts";
import { DEFAULT_LR } from "./train/train-config.ts";
import { type TrainResult, train } from "./train/trainer.ts";

export {
  ACCURACY_GAIN_MARGIN,
  CHANCE_LOSS_MARGIN,
  DEFAULT_SEEDS,
  DIVERGED_FACTOR,
  EXPLODING_LR_FACTORS,
  HIGHER_LR_FACTOR,
  LOSS_GAIN_MARGIN,
  LR_FACTORS,
  MORE_SEEDS_ROUNDS,
  NOISE_STANDARD_ERRORS,
  type RateTried,
  type SeedOutcome,
  type Spread,
  type TreatmentVerdict,
};

/**
 * Batch-norm statistics recomputed from the final weights before the final evaluation (the
 * trainer's precise-BN evaluation), with the numbers the stale running averages gave.
 */
export interface BatchNormRecalibration {
  layers: number;
  before: { trainLoss: number | null; testLoss: number | null; testAcc: number | null };
}

/** A finding and the number of seeds whose run of the configuration as given had it. */
export interface FindingSeen {
  id: string;
  seeds: number;
  of: number;
  /** Found in more than half the seeds: its remedies are tried. */
  acted: boolean;
}

/** One configuration as doctor ran it: every seed at the learning rate it kept. */
export interface DoctorRun {
  /**
   * The outcome as `compare` reports it, over the seeds: losses and accuracies are means over
   * the seeds (see `seeds` and `spread`); status is "completed" only when every seed
   * completed (else the first other status); the gradient-flow fields, steps to target and
   * explosion message are the first seed's.
   */
  outcome: VariantOutcome;
  /** The learning rate kept (the same for every seed). */
  lr: number;
  /** Mean final training-set loss over the seeds at the kept rate. */
  trainLoss: number | null;
  /** Non-null when batch-norm statistics were recomputed before the final evaluation (first seed). */
  recalibrated: BatchNormRecalibration | null;
  /** Every learning rate tried, in the order tried, with each seed's numbers. */
  lrTried: RateTried[];
  /** Each seed's numbers at the kept rate. */
  seeds: SeedOutcome[];
  /** Spread over the seeds at the kept rate (testAcc null for regression). */
  spread: { testAcc: Spread | null; testLoss: Spread | null };
  /** Seeds in which the run blew up at the kept rate. */
  broke: number;
  /** Learned above chance in every seed's test set (doctor/verdict.ts learnedAboveChance). */
  learned: boolean;
}

/** A remedy doctor ran: what it changed, what happened, and how that compares with no change. */
export interface Treatment extends DoctorRun {
  label: string;
  remedyIds: string[];
  changes: Partial<TrainConfig>;
  /**
   * Mean over seeds of no change's loss minus this loss (test loss when there is a test set):
   * > 0 is better; +Infinity when this rescued a run that blew up, -Infinity when it blew up.
   */
  lossGain: number;
  /** Mean over seeds of test accuracy minus no change's (classification only; null otherwise). */
  accuracyGain: number | null;
  /** Per seed (where neither blew up): test accuracy minus no change's at the same seed. */
  accuracyGains: number[] | null;
  /** Per seed (where neither blew up): no change's test loss minus this one at the same seed. */
  lossGains: number[];
  /**
   * The seed noise the gains were held against: NOISE_STANDARD_ERRORS standard errors of the
   * paired differences (accuracy in fractions; loss in loss units).
   */
  noise: { accuracy: number | null; loss: number | null };
  /**
   * Decades of gradient imbalance removed at initialization: |log10 r0| - |log10 r| with r the
   * layer-1 / layer-L gradient norm ratio (> 0: flow is more even through depth).
   */
  flowGain: number;
  /** Findings (ids) left after the remedy's short run (first seed, kept rate). */
  remaining: string[];
  /** How it compares with "no change" on accuracy AND loss (doctor/verdict.ts). */
  verdict: TreatmentVerdict;
  /** What the verdict rests on when it is not plain from the gains; null otherwise. */
  note: string | null;
  /** verdict "better" or "rescued": a measured win on every measure. */
  improves: boolean;
  /**
   * Rank among the wins (null for the others): wins that do not beat each other beyond the
   * margin and the seed noise share a rank (doctor/rank.ts).
   */
  rank: number | null;
}

export interface DoctorReport {
  config: TrainConfig;
  /** Training steps of every run (the same as `steps`). */
  budget: number;
  steps: number;
  /**
   * The seeds every configuration was trained at (paired: seed s gives every arm the same
   * data), then `moreSeeds`.
   */
  seeds: number[];
  /**
   * Seeds added for no change and for the remedies whose verdict the first seeds left to the
   * noise (see DoctorOptions.moreSeeds); empty when none was needed.
   */
  moreSeeds: number[];
  /** Training runs made, the diagnosis run included. */
  runs: number;
  /** The kernels the products ran on (gemmBackend()), e.g. "native avx512 x2". */
  kernels: string;
  /** The margins and the noise rule the verdicts used. */
  margins: {
    accuracy: number;
    loss: number;
    chanceLoss: number;
    noiseStandardErrors: number;
  };
  /** Chance on the test sets, averaged over the seeds (accuracy or regression loss). */
  chance: Chance;
  /** The diagnosis of the configuration as given at the first seed (its text is shown). */
  diagnosis: Diagnosis;
  /**
   * Every finding (warning or critical) and in how many of the seeds' runs of the
   * configuration as given it was found. Doctor tries the remedies of the findings of more than
   * half the seeds.
   */
  findingsSeen: FindingSeen[];
  baseline: VariantOutcome;
  /** How "no change" was run and evaluated (its learning rate, seeds, recalibration). */
  baselineRun: DoctorRun;
  /** Multipliers of the learning rate every configuration was tried at ([1]: no sweep). */
  lrFactors: number[];
  /** Remedies not run because the learning-rate sweep of no change already tried them. */
  covered: string[];
  /** Wins first (by rank), then mixed, no gain, worse. */
  treatments: Treatment[];
  /** Something (no change or a remedy) learned above chance. */
  learnedAny: boolean;
  headline: string;
  /** Wall time of the whole doctor run. */
  elapsedMs: number;
}

export interface DoctorOptions {
  /** Training steps per run (the baseline and every remedy). Default 300. */
  budget?: number;
  /**
   * Seeds per configuration (default 3): seed s0..s0+K-1 with s0 the config's seed. Each seed
   * sets the weights and (unless the config fixes dataSeed) the data and its split, the same
   * for every configuration, so results are compared seed by seed.
   */
  seeds?: number;
  /**
   * Most seeds added when a verdict rests on noise: a remedy whose paired gain (or distance
   * from chance) is beyond its margin in size but not beyond the seed noise is trained at
   * `seeds` more seeds, and no change with it, at their kept rates, and judged again; rounds
   * repeat until every verdict is decided or this many seeds were added. Default
   * MORE_SEEDS_ROUNDS x `seeds`; 0 never adds any.
   */
  moreSeeds?: number;
  /** Most remedies (and combinations) to run. Default 6. */
  maxTreatments?: number;
  /**
   * Learning-rate multipliers to train "no change" and every remedy at, keeping for each the
   * one with the lowest mean final training-set loss over the seeds (the test set chooses
   * nothing). Default: LR_FACTORS, or EXPLODING_LR_FACTORS when no change blew up or the
   * diagnosis found exploding gradients.
   */
  lrFactors?: readonly number[];
  /** Also try 3x the learning rate (the CLI's --lr-sweep); ignored with lrFactors. */
  higherLr?: boolean;
  /** Run directories: DIR/0-no-change-lr0.1-seed0, DIR/1-..., ... */
  outDir?: string;
  /**
   * Runs trained at once, one worker thread each (default 1: all in this thread). Every run is
   * seeded by its config alone, so the report is the same for any count.
   */
  jobs?: number;
  signal?: AbortSignal;
  onStage?: (message: string) => void;
  /**
   * Called with every kept configuration's first-seed run ("no change" first, then the remedies
   * in the order they were proposed), e.g. for figures. No network: runs train in workers.
   */
  onRun?: (label: string, result: DoctorRunResult) => void;
}

/** A run's result as it crosses threads: the trained network stays where it was trained. */
export type DoctorRunResult = Omit<TrainResult, "network">;

/**
 * The diagnosis of one run, exactly as train and report give it (global gradient norms and the
 * run's explosion included, so growth and NaN/Inf are judged the same everywhere).
 */
function diagnoseRun(config: TrainConfig, result: DoctorRunResult): Diagnosis {
  return diagnoseTraining({ ...config, lr: result.config.lr }, result.records, result.summary);
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
  /**
   * Whether a treatment is to be run: its changes make a valid config (e.g. not batch norm AND
   * layer norm) and it is not already covered (e.g. a learning rate the sweep tries anyway).
   */
  valid: (changes: Partial<TrainConfig>, label: string) => boolean = () => true,
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
    .filter((t) => valid(t.changes, t.label));
  const network = remedies.filter((r) => Object.keys(r.configChange).length > 0);
  if (network.length >= 2) {
    const [a, b] = [network[0]!, network[1]!];
    const keysA = Object.keys(a.configChange);
    const changes = { ...changesOf(a), ...changesOf(b) };
    const label = `${a.label} + ${b.label}`;
    if (!Object.keys(b.configChange).some((k) => keysA.includes(k)) && valid(changes, label)) {
      out.splice(Math.min(out.length, 2), 0, { label, ids: [a.id, b.id], changes });
    }
  }
  return out.slice(0, max);
}

function absLog10(r: number | null): number {
  return r !== null && r > 0 && Number.isFinite(r)
    ? Math.abs(Math.log10(r))
    : Number.POSITIVE_INFINITY;
}

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40);
}

/** One run's outcome as doctor keeps it. */
interface SeedRun {
  outcome: VariantOutcome;
  seed: SeedOutcome;
  recalibrated: BatchNormRecalibration | null;
}

function seedRunOf(
  result: DoctorRunResult,
  label: string,
  changes: Partial<TrainConfig>,
  target: number,
): SeedRun {
  const outcome = outcomeOf({ label, changes }, result, target);
  const s = result.summary;
  // With batch norm the trainer's final evaluation already used statistics recomputed from
  // the final weights (precise BN); the numbers with the lagging momentum averages are kept
  // in the summary, and the report shows both.
  const bn = s.batchNorm;
  const seed: SeedOutcome = {
    seed: result.config.seed,
    status: s.status,
    trainLoss: s.trainLoss,
    trainAcc: s.trainAcc,
    testLoss: s.testLoss,
    testAcc: s.testAcc,
    finalLoss: s.finalLoss,
    initialLoss: s.initialLoss,
  };
  const recalibrated: BatchNormRecalibration | null =
    bn && !seedBroke(seed)
      ? {
          layers: bn.recalibratedLayers,
          before: {
            trainLoss: bn.runningStats.trainLoss,
            testLoss: bn.runningStats.testLoss,
            testAcc: bn.runningStats.testAcc,
          },
        }
      : null;
  return { outcome, seed, recalibrated };
}

/** One training run as sent to a worker thread. */
export interface DoctorRunInput {
  /** The resolved configuration to train (remedy, learning rate and seed applied). */
  config: TrainConfig;
  label: string;
  changes: Partial<TrainConfig>;
  /** Run directory (under doctor's outDir), or null. */
  runDir: string | null;
  /** Loss at which stepsToTarget is counted (half the baseline's initial loss). */
  target: number;
  /** Return the per-step records (only the first seed's are diagnosed and drawn). */
  keepRecords: boolean;
}

export interface DoctorRunOutput {
  run: SeedRun;
  result: DoctorRunResult;
}

/** A pool task: train one configuration at one seed and learning rate, and return plain data. */
export async function doctorRunJob(
  input: DoctorRunInput,
  { signal }: JobContext,
): Promise<DoctorRunOutput> {
  const trained = await train(input.config, {
    dataset: await threadDataset(input.config),
    ...(input.runDir ? { runDir: input.runDir } : {}),
    signal,
  });
  const { network: _network, ...rest } = trained;
  const result: DoctorRunResult = input.keepRecords ? rest : { ...rest, records: [] };
  const run = seedRunOf(rest, input.label, input.changes, input.target);
  return { run, result };
}

export const DOCTOR_RUN_TASK = defineTask<DoctorRunInput, DoctorRunOutput>(
  import.meta.url,
  "doctorRunJob",
);

/** The outcome over seeds: means of the measures, the first seed's flow numbers. */
function aggregate(runs: readonly SeedRun[]): VariantOutcome {
  const first = runs[0]!.outcome;
  const mean = (f: (o: VariantOutcome) => number | null): number | null =>
    meanOf(runs.map((r) => f(r.outcome)));
  const notDone = runs.find((r) => r.outcome.status !== "completed");
  const exploded = runs.find((r) => r.outcome.explosion !== null);
  return {
    ...first,
    status: notDone ? notDone.outcome.status : "completed",
    initialLoss: mean((o) => o.initialLoss),
    finalLoss: mean((o) => o.finalLoss),
    trainAcc: mean((o) => o.trainAcc),
    testAcc: mean((o) => o.testAcc),
    testLoss: mean((o) => o.testLoss),
    explosion: exploded ? exploded.outcome.explosion : null,
    elapsedMs: runs.reduce((t, r) => t + r.outcome.elapsedMs, 0),
  };
}

/** A configuration to run: no change (index 0) or a remedy. */
interface Arm {
  label: string;
  ids: string[];
  changes: Partial<TrainConfig>;
  rates: number[];
}

/** Everything measured for one arm: runs[rate][seed]. */
interface ArmRuns {
  arm: Arm;
  runs: (DoctorRunOutput | null)[][];
}

/** Warning and critical findings, counted over the seeds' diagnoses (first seen first). */
function findingsSeen(diagnoses: readonly Diagnosis[]): FindingSeen[] {
  const counts = new Map<string, number>();
  for (const d of diagnoses)
    for (const id of new Set(d.findings.filter((f) => f.severity !== "info").map((f) => f.id)))
      counts.set(id, (counts.get(id) ?? 0) + 1);
  const of = diagnoses.length;
  return [...counts].map(([id, seeds]) => ({ id, seeds, of, acted: 2 * seeds > of }));
}

/**
 * The findings of more than half the seeds, most seeds first, ties in the order of the rules;
 * each as the first seed that has it found it (its remedies are the ones tried).
 */
function agreedFindings(diagnoses: readonly Diagnosis[], seen: readonly FindingSeen[]): Finding[] {
  const ruleOrder = new Map(RULES.map((r, i) => [r.id as string, i]));
  return seen
    .filter((x) => x.acted)
    .sort((a, b) => b.seeds - a.seeds || (ruleOrder.get(a.id) ?? 99) - (ruleOrder.get(b.id) ?? 99))
    .map((x) => {
      for (const d of diagnoses) {
        const f = d.findings.find((g) => g.id === x.id && g.severity !== "info");
        if (f) return f;
      }
      throw new Error(`doctor: finding ${x.id} vanished`);
    });
}

/**
 * The diagnosis headline of the first seed whose findings are the agreed ones, else the top
 * agreed finding's title with the other agreed ids; findings of fewer seeds are named apart.
 */
function agreedHeadline(
  diagnoses: readonly Diagnosis[],
  acted: readonly Finding[],
  seen: readonly FindingSeen[],
): string {
  const ids = (fs: readonly Finding[]): string =>
    [...new Set(fs.filter((f) => f.severity !== "info").map((f) => f.id))].sort().join(" ");
  const agreed = ids(acted);
  const minority = seen.filter((x) => !x.acted);
  const minorityText =
    minority.length > 0
      ? ` (in fewer than half the seeds: ${minority.map((x) => `${x.id} ${x.seeds} of ${x.of}`).join(", ")})`
      : "";
  const same = diagnoses.find((d) => ids(d.findings) === agreed);
  if (same) return `${same.headline}${minorityText}`;
  const top = acted[0];
  if (!top) return `healthy: no warnings in most seeds${minorityText}`;
  const others = acted.slice(1).map((f) => f.id);
  return `${top.severity}: ${top.title}${others.length > 0 ? `; also ${others.join(", ")}` : ""}${minorityText}`;
}

/** An arm reduced to the rate it keeps. */
interface Kept {
  lr: number;
  lrTried: RateTried[];
  /** Every seed's run at the kept rate (more are appended when a verdict is undecided). */
  seedRuns: SeedRun[];
  /** The first seed's full result at the kept rate. */
  result: DoctorRunResult;
}

function keepBestRate(a: ArmRuns): Kept | null {
  const complete = a.arm.rates
    .map((lr, r) => ({ lr, runs: a.runs[r]! }))
    .filter((x) => x.runs.every((o) => o !== null && o.run.outcome.status !== "interrupted"))
    .map((x) => ({ lr: x.lr, runs: x.runs as DoctorRunOutput[] }));
  if (complete.length === 0) return null;
  const tried: RateTried[] = complete.map((x) =>
    rateTried(
      x.lr,
      x.runs.map((o) => o.run.seed),
    ),
  );
  // The configuration's own rate comes first and is kept unless another blows up in fewer
  // seeds or reaches a clearly lower training-set loss.
  const best = keptRateIndex(tried);
  const kept = complete[best]!;
  return {
    lr: kept.lr,
    lrTried: tried,
    seedRuns: kept.runs.map((o) => o.run),
    result: kept.runs[0]!.result,
  };
}

function runOf(k: Kept, chances: ChanceBySeed, classification: boolean): DoctorRun {
  const seeds = k.seedRuns.map((r) => r.seed);
  const { spread, broke, learned } = judgeSeeds(seeds, chances, classification);
  const selected = selectionLoss(seeds);
  return {
    outcome: aggregate(k.seedRuns),
    lr: k.lr,
    trainLoss: Number.isFinite(selected) ? selected : meanOf(seeds.map((s) => s.trainLoss)),
    recalibrated: k.seedRuns[0]!.recalibrated,
    lrTried: k.lrTried,
    seeds,
    spread,
    broke,
    learned,
  };
}

/**
 * Diagnose a configuration by training it for a short budget, then run each applicable remedy
 * (and the best combination) for the same budget at several seeds and learning rates, and rank
 * them against "no change" by paired gains in accuracy and loss that clear a margin and the
 * seed noise, with gradient flow beside.
 */
export async function doctor(
  input: Readonly<Partial<TrainConfig>>,
  options: DoctorOptions = {},
): Promise<DoctorReport> {
  // One pool for every batch (the diagnosed runs, the sweep, the extra seeds): workers start
  // once.
  const jobs = options.jobs ?? 1;
  const pool = jobs > 1 ? new WorkerPool(jobs) : null;
  const batch: Batch = (inputs, opts) =>
    pool
      ? pool.run(DOCTOR_RUN_TASK, inputs, opts)
      : runJobs(DOCTOR_RUN_TASK, inputs, { ...opts, jobs: 1 });
  try {
    return await runDoctor(input, options, batch);
  } finally {
    await pool?.close();
  }
}

/** Runs a batch of doctor's training runs (on the pool, or in this thread). */
type Batch = (
  inputs: readonly DoctorRunInput[],
  options: Omit<RunJobsOptions<DoctorRunOutput>, "jobs">,
) => Promise<JobResult<DoctorRunOutput>[]>;

async function runDoctor(
  input: Readonly<Partial<TrainConfig>>,
  options: DoctorOptions,
  batch: Batch,
): Promise<DoctorReport> {
  const started = Date.now();
  const budget = options.budget ?? 300;
  const seedCount = options.seeds ?? DEFAULT_SEEDS;
  if (!Number.isInteger(seedCount) || seedCount < 1 || seedCount > 100) {
    throw new RangeError(`doctor: seeds must be a whole number from 1 to 100 (got ${seedCount})`);
  }
  const moreSeeds = options.moreSeeds ?? MORE_SEEDS_ROUNDS * seedCount;
  if (!Number.isInteger(moreSeeds) || moreSeeds < 0 || moreSeeds > 100) {
    throw new RangeError(
      `doctor: moreSeeds must be a whole number from 0 to 100 (got ${moreSeeds})`,
    );
  }
  const given = options.lrFactors;
  if (given && (given.length === 0 || given.some((f) => !(f > 0) || !Number.isFinite(f)))) {
    throw new RangeError("doctor: lrFactors must be positive finite numbers");
  }
  const config = resolveTrainConfig({ ...input, steps: budget, out: null }, "key");
  const seeds = Array.from({ length: seedCount }, (_, i) => config.seed + i);
  // the thread's cached copy: with jobs 1 the first runs (in this thread) reuse it
  const dataset = await threadDataset(config);
  const baseLr = config.lr ?? DEFAULT_LR[config.optimizer];
  const multiSeed = seeds.length > 1 || moreSeeds > 0;
  const dirFor = (i: number, label: string, lr: number, seed: number, sweep: boolean) =>
    options.outDir
      ? `${options.outDir}/${i}-${slug(label)}${sweep ? `-lr${lr}` : ""}${multiSeed ? `-seed${seed}` : ""}`
      : null;
  // Runs are named by their rate unless the caller fixed a single one.
  const sweep = given ? sweepAround(baseLr, given).length > 1 : true;

  options.onStage?.(
    `doctor: training the configuration as given for ${budget} steps at seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")}`,
  );
  // The configuration exactly as given, at every seed: what is diagnosed. Every seed's run is
  // diagnosed, and doctor acts on the findings of most seeds: a finding of one chaotic run
  // (a loss that happened to rise) would make the remedies tried depend on round-off.
  const asGiven = await batch(
    seeds.map(
      (seed): DoctorRunInput => ({
        config: resolveTrainConfig({ ...config, seed, out: null }, "key"),
        label: "no change",
        changes: {},
        runDir: dirFor(0, "no change", baseLr, seed, sweep),
        target: Number.NaN,
        keepRecords: true,
      }),
    ),
    options.signal ? { signal: options.signal } : {},
  );
  const firstRuns = asGiven.map((r, s) => {
    if (r.ok && r.value.run.outcome.status !== "interrupted") return r.value;
    const error = new Error(
      r.ok
        ? "doctor: interrupted before the configuration as given ran at every seed"
        : `doctor: 'no change' failed at seed ${seeds[s]}: ${r.error.message}`,
    );
    error.name = r.ok ? "AbortError" : r.error.name;
    throw error;
  });
  const first = firstRuns[0]!.result;
  const target = 0.5 * (first.summary.initialLoss ?? Number.NaN);
  for (const r of firstRuns) r.run = seedRunOf(r.result, "no change", {}, target);
  const diagnoses = firstRuns.map((r) => diagnoseRun(config, r.result));
  const diagnosis = diagnoses[0]!;
  const seen = findingsSeen(diagnoses);
  const acted = agreedFindings(diagnoses, seen);
  const firstRun = firstRuns[0]!;
  const explodingSeeds = firstRuns.filter(
    (r, s) =>
      seedBroke(r.run.seed) ||
      diagnoses[s]!.findings.some(
        (f) => f.severity !== "info" && (f.id === "exploding" || f.id === "non-finite"),
      ),
  ).length;
  const exploding = 2 * explodingSeeds > seeds.length;
  const factors = given
    ? [...given]
    : [
        ...(exploding ? EXPLODING_LR_FACTORS : LR_FACTORS),
        ...(options.higherLr ? [HIGHER_LR_FACTOR] : []),
      ];
  const lrs = sweepAround(baseLr, factors);
  const chances = new Map<number, Chance>();
  const addChances = async (list: readonly number[]): Promise<void> => {
    for (const seed of list) chances.set(seed, chanceOf(await threadDataset({ ...config, seed })));
  };
  await addChances(seeds);
  const classification = dataset.task === "classification";

  const covered: string[] = [];
  const candidates = treatmentsFor(
    { ...diagnosis, findings: acted },
    options.maxTreatments ?? 6,
    (changes, label) => {
      const keys = Object.keys(changes);
      const lr = changes.lr;
      if (keys.length === 1 && typeof lr === "number" && lrs.some((r) => sameRate(r, lr))) {
        // a learning rate alone that no change is trained at anyway
        if (!covered.includes(label)) covered.push(label);
        return false;
      }
      try {
        resolveTrainConfig({ ...config, ...changes }, "key");
        return true;
      } catch {
        return false; // e.g. batch norm + layer norm: not a network that can be built
      }
    },
  );
  const arms: Arm[] = [
    { label: "no change", ids: [], changes: {}, rates: lrs },
    ...candidates.map((c) => ({
      label: c.label,
      ids: c.ids,
      changes: c.changes,
      // A remedy that sets the learning rate is about that rate: it is not swept.
      rates: typeof c.changes.lr === "number" ? [c.changes.lr] : lrs,
    })),
  ];
  const grid: ArmRuns[] = arms.map((arm) => ({
    arm,
    runs: arm.rates.map(() => seeds.map((): DoctorRunOutput | null => null)),
  }));
  firstRuns.forEach((r, s) => {
    grid[0]!.runs[0]![s] = r;
  });
  const inputFor = (a: number, lr: number, seed: number, first: boolean): DoctorRunInput => {
    const arm = arms[a]!;
    return {
      config: resolveTrainConfig({ ...config, ...arm.changes, lr, seed, out: null }, "key"),
      label: arm.label,
      changes: arm.changes,
      runDir: dirFor(a, arm.label, lr, seed, arm.rates.length > 1),
      target,
      keepRecords: first,
    };
  };
  // Seed-major order: a worker's consecutive runs share the seed's dataset (threadDataset).
  const inputs: DoctorRunInput[] = [];
  const where: { a: number; r: number; s: number }[] = [];
  seeds.forEach((seed, s) => {
    arms.forEach((arm, a) => {
      arm.rates.forEach((lr, r) => {
        if (a === 0 && r === 0) return; // the diagnosed runs
        inputs.push(inputFor(a, lr, seed, s === 0));
        where.push({ a, r, s });
      });
    });
  });
  options.onStage?.(
    `doctor: ${diagnosis.headline}; ${arms.length - 1} remedies and no change, each at lr ${lrs.map(rateText).join(", ")} x ${seeds.length} seed${seeds.length > 1 ? "s" : ""} (${inputs.length + seeds.length} runs)`,
  );
  const left = grid.map((g, a) => (g.arm.rates.length - (a === 0 ? 1 : 0)) * seeds.length);
  let armsDone = 0;
  const results = await batch(inputs, {
    ...(options.signal ? { signal: options.signal } : {}),
    onSettled: (i, r) => {
      const { a, r: ri, s } = where[i]!;
      if (r.ok) grid[a]!.runs[ri]![s] = r.value;
      if (--left[a]! > 0 || !r.ok) return;
      const g = grid[a]!;
      options.onStage?.(
        `doctor: [${++armsDone}/${arms.length}] ${g.arm.label}: ${g.arm.rates.map((lr, k) => `lr ${rateText(lr)} ${ratesSummary(g.runs[k]!)}`).join(", ")}`,
      );
    },
  });
  const rethrow = (r: (typeof results)[number], label: string): void => {
    if (r.ok || options.signal?.aborted) return;
    // not started (or stopped) by an abort: report what finished, as a sequential run would
    const error = new Error(`doctor: '${label}' failed: ${r.error.message}`);
    error.name = r.error.name;
    throw error;
  };
  results.forEach((r, i) => {
    rethrow(r, inputs[i]!.label);
  });

  const kept = grid.map((g) => keepBestRate(g));
  const baseKept = kept[0];
  if (!baseKept) {
    const error = new Error("doctor: interrupted before no change ran at every seed");
    error.name = "AbortError";
    throw error;
  }
  let runs = kept.map((k) => (k ? runOf(k, chances, classification) : null));

  // Verdicts that rest on noise get more seeds, for the remedy and for no change alike, in
  // rounds of as many seeds as the first, until every verdict is decided or moreSeeds are used.
  let allSeeds = [...seeds];
  let extraRuns = 0;
  while (!options.signal?.aborted) {
    const unsure = runs.flatMap((run, a) =>
      a > 0 &&
      run &&
      needsMoreSeeds(judge(runs[0]!, run, classification), run, chances, classification)
        ? [a]
        : [],
    );
    const step = Math.min(seeds.length, moreSeeds - (allSeeds.length - seeds.length));
    if (unsure.length === 0 || step <= 0) break;
    const more = Array.from({ length: step }, (_, i) => config.seed + allSeeds.length + i);
    await addChances(more);
    const extra: { a: number; input: DoctorRunInput }[] = [];
    for (const seed of more)
      for (const a of [0, ...unsure])
        extra.push({ a, input: inputFor(a, kept[a]!.lr, seed, false) });
    options.onStage?.(
      `doctor: not decided within the noise: ${unsure.map((a) => arms[a]!.label).join(", ")}; seeds ${more.join(", ")} for ${unsure.length > 1 ? "them" : "it"} and no change (${extra.length} runs)`,
    );
    const round = await batch(
      extra.map((x) => x.input),
      options.signal ? { signal: options.signal } : {},
    );
    round.forEach((r, i) => {
      rethrow(r, extra[i]!.input.label);
    });
    // whole seeds only: an interrupted round leaves every configuration as it was
    if (!round.every((r) => r.ok && r.value.run.outcome.status !== "interrupted")) break;
    extraRuns += extra.length;
    allSeeds = [...allSeeds, ...more];
    round.forEach((r, i) => {
      if (r.ok) kept[extra[i]!.a]!.seedRuns.push(r.value.run);
    });
    runs = kept.map((k) => (k ? runOf(k, chances, classification) : null));
  }

  const base = runs[0]!;
  options.onRun?.("no change", baseKept.result);
  const baseFlow = absLog10(firstRun.run.outcome.initialGradRatio);
  const treatments: Treatment[] = [];
  for (let a = 1; a < arms.length; a++) {
    const k = kept[a];
    const run = runs[a];
    if (!k || !run) continue; // interrupted
    const arm = arms[a]!;
    options.onRun?.(arm.label, k.result);
    const cfg = resolveTrainConfig({ ...config, ...arm.changes, lr: k.lr }, "key");
    const remaining = diagnoseRun(cfg, k.result)
      .findings.filter((f: Finding) => f.severity !== "info")
      .map((f: Finding) => f.id);
    const { verdict, note, improves, ...gains } = treatmentJudgment(
      judge(base, run, classification),
    );
    const flowGain = baseFlow - absLog10(run.outcome.initialGradRatio);
    treatments.push({
      ...run,
      label: arm.label,
      remedyIds: arm.ids,
      changes: arm.changes,
      ...gains,
      flowGain: Number.isNaN(flowGain) ? 0 : flowGain,
      remaining,
      verdict,
      note,
      improves,
      rank: null,
    });
  }

  const ordered = orderTreatments(treatments, chances, classification);

  const learnedAny = base.learned || treatments.some((t) => t.learned);
  const chanceList = allSeeds.map((s) => chances.get(s)!);
  const chance: Chance = {
    accuracy: meanOf(chanceList.map((c) => c.accuracy)),
    loss: meanOf(chanceList.map((c) => c.loss)),
  };
  const headline = headlineOf({
    found: agreedHeadline(diagnoses, acted, seen),
    healthy: acted.length === 0,
    budget,
    seeds: seeds,
    baseLr,
    lrs,
    base,
    treatments: ordered,
    covered,
    arms,
    chance,
    learnedAny,
    interrupted: options.signal?.aborted === true,
  });
  return {
    config,
    budget,
    steps: budget,
    seeds: allSeeds,
    moreSeeds: allSeeds.slice(seeds.length),
    runs: inputs.length + seeds.length + extraRuns,
    kernels: gemmBackend(),
    margins: {
      accuracy: ACCURACY_GAIN_MARGIN,
      loss: LOSS_GAIN_MARGIN,
      chanceLoss: CHANCE_LOSS_MARGIN,
      noiseStandardErrors: NOISE_STANDARD_ERRORS,
    },
    chance,
    diagnosis,
    findingsSeen: seen,
    baseline: base.outcome,
    baselineRun: base,
    lrFactors: factors,
    covered,
    treatments: ordered,
    learnedAny,
    headline,
    elapsedMs: Date.now() - started,
  };
}

/** A learning rate as printed: 4 significant digits at most. */
function rateText(lr: number): string {
  return String(Number(lr.toPrecision(4)));
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** Mean test accuracy (or loss) of one rate's runs so far, for progress lines. */
function ratesSummary(runs: readonly (DoctorRunOutput | null)[]): string {
  const done = runs.filter((r): r is DoctorRunOutput => r !== null).map((r) => r.run.seed);
  const broke = done.filter(seedBroke).length;
  if (broke > 0) return `blew up in ${broke} of ${done.length}`;
  const acc = meanOf(done.map(seedAcc));
  if (acc !== null) return pct(acc);
  const loss = meanOf(done.map((s) => s.testLoss ?? s.finalLoss));
  return loss === null ? "-" : `loss ${loss.toPrecision(3)}`;
}

/** "test accuracy 98.3% (96.5-99.5%)" or "test loss 0.12 (0.1-0.14)" over the seeds. */
function measureText(run: DoctorRun, withSpread: boolean): string {
  const s = run.spread.testAcc;
  if (s)
    return `test accuracy ${pct(s.mean)}${withSpread && s.n > 1 ? ` (${pct(s.min).slice(0, -1)}-${pct(s.max)})` : ""}`;
  const l = run.spread.testLoss;
  if (!l) return `blew up in ${run.broke} of ${run.seeds.length} seeds`;
  return `test loss ${l.mean.toPrecision(3)}${withSpread && l.n > 1 ? ` (${l.min.toPrecision(3)}-${l.max.toPrecision(3)})` : ""}`;
}

interface HeadlineInput {
  /** What the seeds' diagnoses agree on, in one line. */
  found: string;
  /** No finding in most seeds. */
  healthy: boolean;
  budget: number;
  seeds: readonly number[];
  baseLr: number;
  lrs: readonly number[];
  base: DoctorRun;
  treatments: readonly Treatment[];
  covered: readonly string[];
  arms: readonly Arm[];
  chance: Chance;
  learnedAny: boolean;
  interrupted: boolean;
}

function headlineOf(h: HeadlineInput): string {
  const k = h.seeds.length;
  const seedsText = `${k} seed${k > 1 ? "s" : ""}`;
  const atLr = (run: DoctorRun): string =>
    sameRate(run.lr, h.baseLr) ? "" : ` at lr ${rateText(run.lr)}`;
  const baseText =
    h.base.broke > 0
      ? `no change, which blew up in ${h.base.broke} of ${h.base.seeds.length} seeds${atLr(h.base)}`
      : `${measureText(h.base, false).replace(/^test (accuracy|loss) /, "")} with no change${atLr(h.base)}`;
  const gain = (t: Treatment): string =>
    `${measureText(t, true)} vs ${baseText}, ${t.seeds.length} seeds`;
  const wins = h.treatments.filter((t) => t.improves);
  const best = wins[0];
  const equals = wins.filter((t) => t !== best && t.rank === 1);
  const mixed = h.treatments.filter((t) => t.verdict === "mixed");
  const mixedText =
    mixed.length > 0
      ? `; mixed evidence (not counted as a win): ${mixed.map((t) => `${t.label} (${t.note})`).join(", ")}`
      : "";
  const prefix = h.interrupted ? "interrupted (only finished runs compared): " : "";
  if (!h.learnedAny) {
    const chance =
      h.chance.accuracy !== null
        ? `chance accuracy ${pct(h.chance.accuracy)}`
        : `loss of predicting the mean ${h.chance.loss?.toPrecision(3) ?? "-"}`;
    const remedies = h.arms.slice(1).map((a) => a.label);
    const covered =
      h.covered.length > 0 ? `; ${h.covered.join(", ")}: part of the learning-rate sweep` : "";
    return `${prefix}${h.found}. Nothing learned above chance (${chance}) in ${h.budget} steps. Tried: no change${remedies.length > 0 ? `, ${remedies.join(", ")}` : ""}, each at lr ${h.lrs.map(rateText).join(", ")} with ${seedsText}${covered}`;
  }
  const equalText =
    equals.length > 0
      ? `; as good within the noise: ${equals.map((t) => `${t.label}${atLr(t)}`).join(", ")}`
      : "";
  if (h.healthy) {
    return `${prefix}no gradient-flow problem found in ${h.budget} steps${best ? `; still, ${best.label}${atLr(best)} does better (${gain(best)})${equalText}` : ""}${mixedText}`;
  }
  if (best) {
    return `${prefix}${h.found}. Best measured remedy: ${best.label}${atLr(best)} (${gain(best)})${equalText}${mixedText}`;
  }
  if (!sameRate(h.base.lr, h.baseLr) && h.base.learned) {
    // the sweep of no change found the fix: the configuration itself at another rate
    return `${prefix}${h.found}. The fix is the learning rate: no change at lr ${rateText(h.base.lr)} instead of ${rateText(h.baseLr)} learns (${measureText(h.base, true)}, ${seedsText}); no remedy beat it beyond the margins and the seed noise within ${h.budget} steps${mixedText}`;
  }
  return `${prefix}${h.found}. No remedy beat "no change" (${measureText(h.base, true)}${atLr(h.base)}) on both accuracy and loss beyond the margins and the seed noise within ${h.budget} steps (${seedsText})${mixedText}`;
}
