/**
 * `gradscope doctor --arch rnn|lstm|gru|transformer`: diagnose a recurrent or transformer run
 * config by its flow verdict over time steps or blocks (at initialization and over a baseline
 * run, at every seed), then train "no change" and every remedy that answers the verdict
 * (doctor-arch/remedies.ts) at the same seeds, budget and learning-rate sweep, and judge and
 * rank each remedy against no change with the MLP doctor's rule (doctor/paired.ts: paired
 * seeds, margin + 2 standard errors, above chance, tiers). Runs go through the same loop as
 * `gradscope train --arch`, each seeded by its config alone, so the report does not depend on
 * --jobs.
 */
import { gemmBackend } from "../../core/kernels/gemm.ts";
import type { Verdict } from "../../verdict/flow-verdict.ts";
import type { ArchName } from "../arch-options.ts";
import type { Chance } from "../doctor/chance.ts";
import {
  type ChanceBySeed,
  DEFAULT_SEEDS,
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
  type SeedsJudged,
  sameRate,
  seedAcc,
  seedBroke,
  selectionLoss,
  sweepAround,
  type TreatmentJudgment,
  treatmentJudgment,
} from "../doctor/paired.ts";
import { NOISE_STANDARD_ERRORS } from "../doctor/stats.ts";
import { ACCURACY_GAIN_MARGIN, CHANCE_LOSS_MARGIN, LOSS_GAIN_MARGIN } from "../doctor/verdict.ts";
import type { DoctorOptions } from "../doctor.ts";
import { type JobResult, type RunJobsOptions, runJobs, WorkerPool } from "../pool/index.ts";
import { resolveSequenceRun } from "../sequence-train/options.ts";
import type { SequenceRunConfig, SequenceSummary } from "../sequence-train/types.ts";
import { type TrainCommand, trainCommandFor } from "./command.ts";
import { type ArchRemedy, archRemedies, type RunChanges } from "./remedies.ts";
import {
  ARCH_DOCTOR_RUN_TASK,
  type ArchRunInput,
  type ArchRunOutput,
  type ArchSeedOutcome,
} from "./run.ts";

/** The MLP doctor's options (budget, seeds, more seeds, remedies, rates, jobs...), same meanings. */
export type ArchDoctorOptions = Omit<DoctorOptions, "onRun">;

/** How many seeds' runs had a verdict. */
export interface VerdictSeen {
  verdict: Verdict;
  seeds: number;
  of: number;
  /** In more than half the seeds and not healthy: its remedies are tried. */
  acted: boolean;
}

export interface SeedFlow {
  seed: number;
  /** Flow verdict at the first recorded step (initialization), and its sentence. */
  init: Verdict | null;
  initMessage: string | null;
  /** The run's verdict over every recorded step, and its sentence. */
  run: Verdict | null;
  runMessage: string | null;
}

/** The flow of the configuration as given, at every seed. */
export interface ArchDiagnosis {
  unit: "time step" | "block";
  seeds: SeedFlow[];
  initSeen: VerdictSeen[];
  runSeen: VerdictSeen[];
  /** The verdicts remedies were sought for: the run's (acted), then initialization's. */
  acted: Verdict[];
  /** One line: what the seeds agree on. */
  headline: string;
}

/** One configuration as doctor ran it: every seed at the learning rate it kept. */
export interface ArchDoctorRun extends SeedsJudged {
  label: string;
  remedyIds: string[];
  changes: RunChanges;
  /** The learning rate kept (the same for every seed). */
  lr: number;
  /** Mean final training loss over the seeds at the kept rate (null when all blew up). */
  trainLoss: number | null;
  /** Every rate tried, in the order tried, with each seed's numbers. */
  lrTried: RateTried<ArchSeedOutcome>[];
  /** Each seed's numbers at the kept rate. */
  seeds: ArchSeedOutcome[];
  /** Each seed's flow verdicts at the kept rate. */
  flow: SeedFlow[];
  /** The run verdict of most seeds, e.g. "healthy (3 of 3)". */
  flowText: string;
}

/** A remedy doctor ran, judged against no change (doctor/paired.ts). */
export interface ArchTreatment extends ArchDoctorRun, TreatmentJudgment {
  why: string;
  reference: string;
  /** Rank among the wins, tied wins share it; null for the others. */
  rank: number | null;
  /** The `gradscope train` command of this remedy at its kept rate, the first seed and the budget. */
  train: TrainCommand;
}

export interface ArchDoctorReport {
  arch: SequenceRunConfig["arch"];
  /** The configuration as given, with steps = budget. */
  config: SequenceRunConfig;
  task: SequenceSummary["task"];
  budget: number;
  steps: number;
  /** Seeds every configuration ran at, then `moreSeeds`. */
  seeds: number[];
  moreSeeds: number[];
  /** Training runs made, the diagnosis runs included. */
  runs: number;
  kernels: string;
  margins: { accuracy: number; loss: number; chanceLoss: number; noiseStandardErrors: number };
  /** Classification (test accuracy is the headline measure) or regression (test loss). */
  classification: boolean;
  /** Chance: guessing's accuracy, or the input-blind loss (adding: 1/6), mean over seeds. */
  chance: Chance;
  diagnosis: ArchDiagnosis;
  /** The remedies proposed for the diagnosis (run unless invalid or beyond maxTreatments). */
  proposed: ArchRemedy[];
  baselineRun: ArchDoctorRun;
  lrFactors: number[];
  /** Wins first (by rank), then mixed, no gain, worse. */
  treatments: ArchTreatment[];
  learnedAny: boolean;
  /** The best remedy (rank 1, first) and its command; null when none is better. */
  best: { label: string; lr: number; train: TrainCommand } | null;
  headline: string;
  elapsedMs: number;
}

type Batch = (
  inputs: readonly ArchRunInput[],
  options: Omit<RunJobsOptions<ArchRunOutput>, "jobs">,
) => Promise<JobResult<ArchRunOutput>[]>;

export async function doctorArch(
  input: SequenceRunConfig,
  options: ArchDoctorOptions = {},
): Promise<ArchDoctorReport> {
  const jobs = options.jobs ?? 1;
  const pool = jobs > 1 ? new WorkerPool(jobs) : null;
  const batch: Batch = (inputs, opts) =>
    pool
      ? pool.run(ARCH_DOCTOR_RUN_TASK, inputs, opts)
      : runJobs(ARCH_DOCTOR_RUN_TASK, inputs, { ...opts, jobs: 1 });
  try {
    return await runDoctorArch(input, options, batch);
  } finally {
    await pool?.close();
  }
}

function slug(label: string): string {
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40);
}

const rateText = (lr: number): string => String(Number(lr.toPrecision(4)));
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** Verdicts counted over seeds, most seeds first (ties: first seen first). */
function seen(verdicts: readonly (Verdict | null)[]): VerdictSeen[] {
  const counts = new Map<Verdict, number>();
  for (const v of verdicts) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  const of = verdicts.length;
  return [...counts]
    .map(([verdict, seeds]) => ({
      verdict,
      seeds,
      of,
      acted: 2 * seeds > of && verdict !== "healthy" && verdict !== "not-judged",
    }))
    .sort((a, b) => b.seeds - a.seeds);
}

const seenText = (s: readonly VerdictSeen[]): string =>
  s.map((x) => `${x.verdict} in ${x.seeds} of ${x.of}`).join(", ");

function flowOf(o: ArchRunOutput): SeedFlow {
  return {
    seed: o.seed.seed,
    init: o.initVerdict,
    initMessage: o.initMessage,
    run: o.runVerdict,
    runMessage: o.runMessage,
  };
}

function flowTextOf(flow: readonly SeedFlow[]): string {
  const top = seen(flow.map((f) => f.run))[0];
  return top ? `${top.verdict} (${top.seeds} of ${top.of})` : "-";
}

function diagnose(config: SequenceRunConfig, outputs: readonly ArchRunOutput[]): ArchDiagnosis {
  const seeds = outputs.map(flowOf);
  const initSeen = seen(seeds.map((s) => s.init));
  const runSeen = seen(seeds.map((s) => s.run));
  const acted = [
    ...new Set([
      ...runSeen.filter((x) => x.acted).map((x) => x.verdict),
      ...initSeen.filter((x) => x.acted).map((x) => x.verdict),
    ]),
  ];
  const unit = config.arch === "transformer" ? "block" : "time step";
  const runTop = runSeen.find((x) => x.acted);
  const initTop = initSeen.find((x) => x.acted);
  // the sentence of the first seed whose verdict is the agreed one
  const sentence = (v: Verdict | undefined, key: "run" | "init"): string => {
    const s = seeds.find((x) => x[key] === v);
    return s ? (key === "run" ? s.runMessage : s.initMessage) || "" : "";
  };
  const parts = [`over the run: ${seenText(runSeen)}`, `at initialization: ${seenText(initSeen)}`];
  let headline: string;
  if (runTop) headline = `${sentence(runTop.verdict, "run")} (${parts.join("; ")})`;
  else if (initTop)
    headline = `at initialization ${sentence(initTop.verdict, "init")} (${parts.join("; ")})`;
  else headline = `healthy at initialization and over the run in most seeds (${parts.join("; ")})`;
  return { unit, seeds, initSeen, runSeen, acted, headline };
}

/** A remedy's config, validated by `train --arch`'s resolver; null when it cannot be built. */
function remedyConfig(config: SequenceRunConfig, changes: RunChanges): SequenceRunConfig | null {
  const {
    arch: _arch,
    out: _out,
    ...fields
  } = { ...config, ...changes } as Record<string, unknown>;
  const arch = ((changes as { arch?: string }).arch ?? config.arch) as Exclude<ArchName, "mlp">;
  try {
    return resolveSequenceRun(arch, fields, "key");
  } catch {
    return null;
  }
}

/** A configuration to run: no change (index 0) or a remedy. */
interface Arm {
  label: string;
  ids: string[];
  changes: RunChanges;
  config: SequenceRunConfig;
  remedy: ArchRemedy | null;
  rates: number[];
}

interface Kept {
  lr: number;
  lrTried: RateTried<ArchSeedOutcome>[];
  outputs: ArchRunOutput[];
}

function keepBestRate(arm: Arm, runs: (ArchRunOutput | null)[][]): Kept | null {
  const complete = arm.rates
    .map((lr, r) => ({ lr, runs: runs[r]! }))
    .filter((x) => x.runs.every((o) => o !== null && o.seed.status !== "interrupted"))
    .map((x) => ({ lr: x.lr, runs: x.runs as ArchRunOutput[] }));
  if (complete.length === 0) return null;
  const tried = complete.map((x) =>
    rateTried(
      x.lr,
      x.runs.map((o) => o.seed),
    ),
  );
  const kept = complete[keptRateIndex(tried)]!;
  return { lr: kept.lr, lrTried: tried, outputs: [...kept.runs] };
}

function runOf(arm: Arm, k: Kept, chances: ChanceBySeed, classification: boolean): ArchDoctorRun {
  const seeds = k.outputs.map((o) => o.seed);
  const selected = selectionLoss(seeds);
  const flow = k.outputs.map(flowOf);
  return {
    label: arm.label,
    remedyIds: arm.ids,
    changes: arm.changes,
    lr: k.lr,
    trainLoss: Number.isFinite(selected) ? selected : null,
    lrTried: k.lrTried,
    seeds,
    ...judgeSeeds(seeds, chances, classification),
    flow,
    flowText: flowTextOf(flow),
  };
}

function chanceOfTask(task: SequenceSummary["task"]): Chance {
  return task.chanceAccuracy !== null
    ? { accuracy: task.chanceAccuracy, loss: null }
    : { accuracy: null, loss: task.baselineLoss };
}

async function runDoctorArch(
  input: SequenceRunConfig,
  options: ArchDoctorOptions,
  batch: Batch,
): Promise<ArchDoctorReport> {
  const started = Date.now();
  const budget = options.budget ?? 300;
  if (!Number.isInteger(budget) || budget < 1) {
    throw new RangeError(`doctor: budget must be a whole number of steps (got ${budget})`);
  }
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
  // Re-resolved at the budget: defaults that follow the step count (warmup) follow it here.
  const config = remedyConfig({ ...input, steps: budget }, {});
  if (!config) throw new RangeError("doctor: the configuration does not resolve");
  const seeds = Array.from({ length: seedCount }, (_, i) => config.seed + i);
  const baseLr = config.lr;
  const multiSeed = seeds.length > 1 || moreSeeds > 0;
  const sweep = given ? sweepAround(baseLr, given).length > 1 : true;
  const dirFor = (i: number, label: string, lr: number, seed: number, swept: boolean) =>
    options.outDir
      ? `${options.outDir}/${i}-${slug(label)}${swept ? `-lr${lr}` : ""}${multiSeed ? `-seed${seed}` : ""}`
      : null;
  const signalOpt = options.signal ? { signal: options.signal } : {};
  const rethrow = (r: JobResult<ArchRunOutput>, label: string): void => {
    if (r.ok || options.signal?.aborted) return;
    const error = new Error(`doctor: '${label}' failed: ${r.error.message}`);
    error.name = r.error.name;
    throw error;
  };

  options.onStage?.(
    `doctor: training the ${config.arch} configuration as given for ${budget} steps at seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")}`,
  );
  const asGiven = await batch(
    seeds.map((seed) => ({
      config: { ...config, seed },
      runDir: dirFor(0, "no change", baseLr, seed, sweep),
    })),
    signalOpt,
  );
  const firstRuns = asGiven.map((r, s) => {
    if (r.ok && r.value.seed.status !== "interrupted") return r.value;
    const error = new Error(
      r.ok
        ? "doctor: interrupted before the configuration as given ran at every seed"
        : `doctor: 'no change' failed at seed ${seeds[s]}: ${r.error.message}`,
    );
    error.name = r.ok ? "AbortError" : r.error.name;
    throw error;
  });
  const task = firstRuns[0]!.task;
  const classification = task.chanceAccuracy !== null;
  const chances = new Map<number, Chance>();
  for (const r of firstRuns) chances.set(r.seed.seed, chanceOfTask(r.task));
  const diagnosis = diagnose(config, firstRuns);
  const growing = (v: Verdict | null) =>
    v === "exploding" || v === "exploded" || v === "non-finite";
  const explodingSeeds = firstRuns.filter((r) => seedBroke(r.seed) || growing(r.runVerdict));
  const exploding = 2 * explodingSeeds.length > seeds.length;
  const factors = given
    ? [...given]
    : [
        ...(exploding ? EXPLODING_LR_FACTORS : LR_FACTORS),
        ...(options.higherLr ? [HIGHER_LR_FACTOR] : []),
      ];
  const lrs = sweepAround(baseLr, factors);

  const proposed = archRemedies(config, diagnosis.acted);
  const arms: Arm[] = [
    { label: "no change", ids: [], changes: {}, config, remedy: null, rates: lrs },
  ];
  for (const remedy of proposed) {
    if (arms.length - 1 >= (options.maxTreatments ?? 6)) break;
    const c = remedyConfig(config, remedy.changes);
    if (!c) continue; // not a net `train` can build
    arms.push({
      label: remedy.label,
      ids: [remedy.id],
      changes: remedy.changes,
      config: c,
      remedy,
      rates: lrs,
    });
  }
  const grid = arms.map((arm) => arm.rates.map(() => seeds.map((): ArchRunOutput | null => null)));
  firstRuns.forEach((r, s) => {
    grid[0]![0]![s] = r;
  });
  const inputFor = (a: number, lr: number, seed: number): ArchRunInput => {
    const arm = arms[a]!;
    return {
      config: { ...arm.config, lr, seed },
      runDir: dirFor(a, arm.label, lr, seed, arm.rates.length > 1),
    };
  };
  const inputs: ArchRunInput[] = [];
  const where: { a: number; r: number; s: number }[] = [];
  seeds.forEach((seed, s) => {
    arms.forEach((arm, a) => {
      arm.rates.forEach((lr, r) => {
        if (a === 0 && r === 0) return; // the diagnosed runs
        inputs.push(inputFor(a, lr, seed));
        where.push({ a, r, s });
      });
    });
  });
  options.onStage?.(
    `doctor: ${diagnosis.headline}; ${arms.length - 1} remed${arms.length === 2 ? "y" : "ies"} and no change, each at lr ${lrs.map(rateText).join(", ")} x ${seeds.length} seed${seeds.length > 1 ? "s" : ""} (${inputs.length + seeds.length} runs)`,
  );
  const left = arms.map((arm, a) => (arm.rates.length - (a === 0 ? 1 : 0)) * seeds.length);
  let armsDone = 0;
  const results = await batch(inputs, {
    ...signalOpt,
    onSettled: (i, r) => {
      const { a, r: ri, s } = where[i]!;
      if (r.ok) grid[a]![ri]![s] = r.value;
      if (--left[a]! > 0 || !r.ok) return;
      options.onStage?.(
        `doctor: [${++armsDone}/${arms.length - 1}] ${arms[a]!.label}: ${arms[a]!.rates.map((lr, k) => `lr ${rateText(lr)} ${ratesSummary(grid[a]![k]!)}`).join(", ")}`,
      );
    },
  });
  results.forEach((r, i) => {
    rethrow(r, arms[where[i]!.a]!.label);
  });

  const kept = arms.map((arm, a) => keepBestRate(arm, grid[a]!));
  if (!kept[0]) {
    const error = new Error("doctor: interrupted before no change ran at every seed");
    error.name = "AbortError";
    throw error;
  }
  const runsOf = () => kept.map((k, a) => (k ? runOf(arms[a]!, k, chances, classification) : null));
  let runs = runsOf();

  // Verdicts that rest on noise get more seeds, for the remedy and for no change alike.
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
    const extra: { a: number; input: ArchRunInput }[] = [];
    for (const seed of more)
      for (const a of [0, ...unsure]) extra.push({ a, input: inputFor(a, kept[a]!.lr, seed) });
    options.onStage?.(
      `doctor: not decided within the noise: ${unsure.map((a) => arms[a]!.label).join(", ")}; seeds ${more.join(", ")} for ${unsure.length > 1 ? "them" : "it"} and no change (${extra.length} runs)`,
    );
    const round = await batch(
      extra.map((x) => x.input),
      signalOpt,
    );
    round.forEach((r, i) => {
      rethrow(r, arms[extra[i]!.a]!.label);
    });
    if (!round.every((r) => r.ok && r.value.seed.status !== "interrupted")) break;
    extraRuns += extra.length;
    allSeeds = [...allSeeds, ...more];
    round.forEach((r, i) => {
      if (!r.ok) return;
      const a = extra[i]!.a;
      kept[a]!.outputs.push(r.value);
      if (a === 0) chances.set(r.value.seed.seed, chanceOfTask(r.value.task));
    });
    runs = runsOf();
  }

  const base = runs[0]!;
  const treatments: ArchTreatment[] = [];
  for (let a = 1; a < arms.length; a++) {
    const run = runs[a];
    if (!run) continue; // interrupted
    const arm = arms[a]!;
    treatments.push({
      ...run,
      ...treatmentJudgment(judge(base, run, classification)),
      why: arm.remedy!.why,
      reference: arm.remedy!.reference,
      rank: null,
      train: trainCommandFor({ ...arm.config, lr: run.lr, seed: config.seed }),
    });
  }
  const ordered = orderTreatments(treatments, chances, classification);
  const learnedAny = base.learned || treatments.some((t) => t.learned);
  const chanceList = allSeeds.map((s) => chances.get(s)!);
  const chance: Chance = {
    accuracy: meanOf(chanceList.map((c) => c.accuracy)),
    loss: meanOf(chanceList.map((c) => c.loss)),
  };
  const bestT = ordered.find((t) => t.improves) ?? null;
  const best = bestT ? { label: bestT.label, lr: bestT.lr, train: bestT.train } : null;
  const headline = headlineOf({
    arch: config.arch,
    diagnosis,
    budget,
    seeds,
    baseLr,
    lrs,
    base,
    treatments: ordered,
    chance,
    classification,
    learnedAny,
    proposed: proposed.length,
    interrupted: options.signal?.aborted === true,
  });
  return {
    arch: config.arch,
    config,
    task,
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
    classification,
    chance,
    diagnosis,
    proposed,
    baselineRun: base,
    lrFactors: factors,
    treatments: ordered,
    learnedAny,
    best,
    headline,
    elapsedMs: Date.now() - started,
  };
}

/** Mean test accuracy (or loss) of one rate's runs so far, for progress lines. */
function ratesSummary(runs: readonly (ArchRunOutput | null)[]): string {
  const done = runs.filter((r): r is ArchRunOutput => r !== null).map((r) => r.seed);
  const broke = done.filter(seedBroke).length;
  if (broke > 0) return `blew up in ${broke} of ${done.length}`;
  const acc = meanOf(done.map(seedAcc));
  if (acc !== null) return pct(acc);
  const loss = meanOf(done.map((s) => s.testLoss ?? s.finalLoss));
  return loss === null ? "-" : `test loss ${loss.toPrecision(3)}`;
}

/** "test accuracy 98.3% (96.5-99.5%)" or "test loss 0.12 (0.1-0.14)" over the seeds. */
export function measureText(run: ArchDoctorRun, withSpread: boolean): string {
  const s = run.spread.testAcc;
  if (s)
    return `test accuracy ${pct(s.mean)}${withSpread && s.n > 1 ? ` (${pct(s.min).slice(0, -1)}-${pct(s.max)})` : ""}`;
  const l = run.spread.testLoss;
  if (!l) return `blew up in ${run.broke} of ${run.seeds.length} seeds`;
  return `test loss ${l.mean.toPrecision(3)}${withSpread && l.n > 1 ? ` (${l.min.toPrecision(3)}-${l.max.toPrecision(3)})` : ""}`;
}

interface HeadlineInput {
  arch: string;
  diagnosis: ArchDiagnosis;
  budget: number;
  seeds: readonly number[];
  baseLr: number;
  lrs: readonly number[];
  base: ArchDoctorRun;
  treatments: readonly ArchTreatment[];
  chance: Chance;
  classification: boolean;
  learnedAny: boolean;
  proposed: number;
  interrupted: boolean;
}

function headlineOf(h: HeadlineInput): string {
  const k = h.seeds.length;
  const seedsText = `${k} seed${k > 1 ? "s" : ""}`;
  const atLr = (run: ArchDoctorRun): string =>
    sameRate(run.lr, h.baseLr) ? "" : ` at lr ${rateText(run.lr)}`;
  const found = `${h.arch}: ${h.diagnosis.headline}`;
  const prefix = h.interrupted ? "interrupted (only finished runs compared): " : "";
  const baseText =
    h.base.broke > 0
      ? `no change, which blew up in ${h.base.broke} of ${h.base.seeds.length} seeds${atLr(h.base)}`
      : `${measureText(h.base, false).replace(/^test (accuracy|loss) /, "")} with no change${atLr(h.base)}`;
  const wins = h.treatments.filter((t) => t.improves);
  const best = wins[0];
  const equals = wins.filter((t) => t !== best && t.rank === 1);
  const mixed = h.treatments.filter((t) => t.verdict === "mixed");
  const mixedText =
    mixed.length > 0
      ? `; mixed evidence (not counted as a win): ${mixed.map((t) => `${t.label} (${t.note})`).join(", ")}`
      : "";
  if (!h.learnedAny) {
    const chance = h.classification
      ? `chance accuracy ${pct(h.chance.accuracy ?? Number.NaN)}`
      : `input-blind loss ${h.chance.loss?.toPrecision(3) ?? "-"}`;
    const tried = ["no change", ...h.treatments.map((t) => t.label)].join(", ");
    return `${prefix}${found}. Nothing learned above chance (${chance}) in ${h.budget} steps. Tried: ${tried}, each at lr ${h.lrs.map(rateText).join(", ")} with ${seedsText}`;
  }
  if (best) {
    const equalText =
      equals.length > 0
        ? `; as good within the noise: ${equals.map((t) => `${t.label}${atLr(t)}`).join(", ")}`
        : "";
    return `${prefix}${found}. Best measured remedy: ${best.label}${atLr(best)} (${measureText(best, true)} vs ${baseText}, ${best.seeds.length} seeds)${equalText}${mixedText}. Run it: ${best.train.command}`;
  }
  if (h.proposed === 0) {
    return `${prefix}${found}. No remedy proposed: no change stays (${measureText(h.base, true)}${atLr(h.base)}, ${seedsText}, ${h.budget} steps)`;
  }
  if (!sameRate(h.base.lr, h.baseLr) && h.base.learned) {
    return `${prefix}${found}. The fix is the learning rate: no change at lr ${rateText(h.base.lr)} instead of ${rateText(h.baseLr)} learns (${measureText(h.base, true)}, ${seedsText}); no remedy beat it beyond the margins and the seed noise within ${h.budget} steps${mixedText}`;
  }
  return `${prefix}${found}. No remedy beat "no change" (${measureText(h.base, true)}${atLr(h.base)}) beyond the margins and the seed noise within ${h.budget} steps (${seedsText}): no change stays${mixedText}`;
}
