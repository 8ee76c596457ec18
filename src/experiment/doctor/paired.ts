/**
 * The part of `doctor` that does not depend on what was trained: every configuration is run at
 * several seeds (paired: seed s gives every configuration the same data and draws) and at a
 * short learning-rate sweep; this module keeps a rate per configuration, decides whether a run
 * blew up or learned above chance, judges a treatment against "no change" seed by seed
 * (verdict.ts), asks for more seeds where the noise left a verdict open, and ranks the
 * treatments in tiers (rank.ts). The MLP doctor (../doctor.ts) and the recurrent/transformer
 * doctor (../doctor-arch/) both judge with these functions, so there is one rule.
 */
import type { SequenceStatus } from "../sequence-train/types.ts";
import type { TrainStatus } from "../train/recorder.ts";
import type { Chance } from "./chance.ts";
import { rankInTiers } from "./rank.ts";
import { clears, direction, noiseOf, type Spread, spreadOf } from "./stats.ts";
import {
  ACCURACY_GAIN_MARGIN,
  CHANCE_LOSS_MARGIN,
  type GainEvidence,
  LOSS_GAIN_MARGIN,
  learnedAboveChance,
  type TreatmentVerdict,
  VERDICT_ORDER,
  verdictNote,
  verdictOf,
} from "./verdict.ts";

/** Seeds per configuration unless told otherwise. */
export const DEFAULT_SEEDS = 3;
/**
 * Rounds of `seeds` more seeds a verdict left to the noise may get (the moreSeeds option
 * defaults to this many times `seeds`): up to 12 seeds with the default 3.
 */
export const MORE_SEEDS_ROUNDS = 3;
/**
 * The default learning-rate sweep: the configuration's own rate, a third and a tenth of it.
 * Lower rates because the outcome of a rate at the edge of stability is decided by chance
 * (by the round-off of the kernels, too): with ReLU + He on the 20-layer seed story, lr 0.1
 * gives 35% in one seed and 96% in the next, lr 0.01 gives 91-100% on every seed and kernel.
 */
export const LR_FACTORS: readonly number[] = [1, 1 / 3, 1 / 10];
/** When no change blows up: a longer sweep down, since the rate is part of the problem. */
export const EXPLODING_LR_FACTORS: readonly number[] = [1, 1 / 3, 1 / 10, 1 / 30];
/** --lr-sweep: also three times the rate (a net that learns too slowly). */
export const HIGHER_LR_FACTOR = 3;

/**
 * A run whose final training loss is this many times its initial loss diverged, even when
 * no number overflowed yet (tanh at weight variance 4 and lr 0.03 ends at 1e147 after 300
 * steps without a NaN).
 */
export const DIVERGED_FACTOR = 10;

/** One training run of one configuration at one seed and learning rate. */
export interface SeedOutcome<S extends string = TrainStatus> {
  seed: number;
  status: S;
  /**
   * The training loss at the end, what the learning rate is chosen on: the MLP's full
   * training-set loss (eval mode); a sequence run's mean minibatch loss over its last steps.
   */
  trainLoss: number | null;
  trainAcc: number | null;
  testLoss: number | null;
  testAcc: number | null;
  /** Last minibatch loss. */
  finalLoss: number | null;
  /** First minibatch loss. */
  initialLoss: number | null;
}

/** Any run's seed outcome (MLP or sequence run). */
export type AnySeedOutcome = SeedOutcome<TrainStatus | SequenceStatus>;

/** One learning rate a configuration was trained at, over all seeds. */
export interface RateTried<O extends AnySeedOutcome = SeedOutcome> {
  lr: number;
  /**
   * Mean over the seeds that did not blow up of the final training loss (Infinity when all
   * blew up).
   */
  trainLoss: number;
  /** Seeds in which the run blew up (exploded, failed or diverged). */
  broke: number;
  seeds: O[];
}

/** The chance level of each seed's test set. */
export type ChanceBySeed = ReadonlyMap<number, Chance>;

const brokeStatus = (s: string): boolean => s === "exploded" || s === "failed";

/**
 * Blew up: exploded, failed, ended without a finite loss, or diverged (final training loss
 * above DIVERGED_FACTOR times the initial loss).
 */
export function seedBroke(o: AnySeedOutcome): boolean {
  if (brokeStatus(o.status)) return true;
  const loss = o.testLoss ?? o.finalLoss;
  if (loss === null || !Number.isFinite(loss)) return true;
  const end = o.trainLoss ?? o.finalLoss;
  return (
    end !== null &&
    o.initialLoss !== null &&
    Number.isFinite(o.initialLoss) &&
    (!Number.isFinite(end) || end > DIVERGED_FACTOR * Math.abs(o.initialLoss))
  );
}

/** The loss a seed is judged on: test loss (final minibatch loss without a test set). */
export function seedLoss(o: AnySeedOutcome): number {
  if (seedBroke(o)) return Number.POSITIVE_INFINITY;
  return o.testLoss ?? o.finalLoss ?? Number.POSITIVE_INFINITY;
}

/** Test accuracy, or training accuracy without a test set. */
export const seedAcc = (o: AnySeedOutcome): number | null => o.testAcc ?? o.trainAcc;

/** Mean of values, null when any is null. */
export function meanOf(values: readonly (number | null)[]): number | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  let sum = 0;
  for (const v of values) sum += v!;
  return sum / values.length;
}

/**
 * The learning rates to try around `lr`: the configuration's own exactly, first (it wins
 * ties), then the others rounded to 4 significant digits.
 */
export function sweepAround(lr: number, factors: readonly number[]): number[] {
  const others = factors.filter((f) => f !== 1).map((f) => Number((lr * f).toPrecision(4)));
  return [...new Set([lr, ...others])];
}

export const sameRate = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-3 * Math.abs(b);

/**
 * Whether loss `a` beats `b` by more than the noise margin (LOSS_GAIN_MARGIN of b): a rate
 * other than the configuration's own must win clearly, not by minibatch luck.
 */
function clearlyLower(a: number, b: number): boolean {
  if (b === Number.POSITIVE_INFINITY) return a < b;
  return a < b - LOSS_GAIN_MARGIN * Math.abs(b);
}

/** Mean final training loss over the seeds that did not blow up (Infinity: none). */
export function selectionLoss(seeds: readonly AnySeedOutcome[]): number {
  let sum = 0;
  let n = 0;
  for (const s of seeds) {
    const loss = s.trainLoss ?? s.finalLoss;
    if (seedBroke(s) || loss === null || !Number.isFinite(loss)) continue;
    sum += loss;
    n++;
  }
  return n > 0 ? sum / n : Number.POSITIVE_INFINITY;
}

/** A rate's record over its seeds. */
export function rateTried<O extends AnySeedOutcome>(lr: number, seeds: O[]): RateTried<O> {
  return { lr, trainLoss: selectionLoss(seeds), broke: seeds.filter(seedBroke).length, seeds };
}

/**
 * Whether rate `a` is to be kept over rate `b` (the best so far, tried earlier): a rate at
 * which no seed blew up beats one at which some did (of two that both blew up somewhere, the
 * one with fewer broken seeds); otherwise `a` must reach a clearly lower final training loss,
 * seed by seed: the mean paired difference must exceed LOSS_GAIN_MARGIN of b's mean loss and
 * the seed noise (stats.ts). The noise matters: at a rate near the edge of stability the
 * training loss of one seed swings with the round-off of the kernels, and the rate kept must
 * not.
 */
export function betterRate(a: RateTried<AnySeedOutcome>, b: RateTried<AnySeedOutcome>): boolean {
  if (a.broke > 0 !== b.broke > 0) return a.broke === 0;
  if (a.broke !== b.broke) return a.broke < b.broke;
  const bySeed = new Map(b.seeds.map((s) => [s.seed, s]));
  const pairs = a.seeds.flatMap((s) => {
    const o = bySeed.get(s.seed);
    return o && !seedBroke(s) && !seedBroke(o) ? [[selectionLoss([s]), selectionLoss([o])]] : [];
  });
  if (pairs.length === 0) return clearlyLower(a.trainLoss, b.trainLoss);
  const ref = Math.abs(spreadOf(pairs.map((p) => p[1]!)).mean) || 1;
  return clears(
    pairs.map(([x, y]) => (y! - x!) / ref),
    LOSS_GAIN_MARGIN,
  );
}

/**
 * The index of the rate to keep: the configuration's own rate (index 0) unless another blows
 * up in fewer seeds or reaches a clearly lower training loss (betterRate).
 */
export function keptRateIndex(tried: readonly RateTried<AnySeedOutcome>[]): number {
  let best = 0;
  for (let i = 1; i < tried.length; i++) if (betterRate(tried[i]!, tried[best]!)) best = i;
  return best;
}

/** Per seed: how far above chance the run is (accuracy) or below it (relative regression loss). */
export function overChance(
  seeds: readonly AnySeedOutcome[],
  chances: ChanceBySeed,
  classification: boolean,
): number[] | null {
  if (classification) {
    const accs = seeds.map(seedAcc);
    if (accs.some((a) => a === null)) return null;
    return accs.map((a, i) => a! - (chances.get(seeds[i]!.seed)?.accuracy ?? Number.NaN));
  }
  const out: number[] = [];
  for (const s of seeds) {
    const c = chances.get(s.seed)?.loss ?? null;
    if (c === null || !(c > 0)) return null;
    out.push((c - seedLoss(s)) / c);
  }
  return out;
}

/** What a configuration's seeds at its kept rate amount to. */
export interface SeedsJudged {
  /** Spread over the seeds (testAcc null for regression; testLoss null when some blew up). */
  spread: { testAcc: Spread | null; testLoss: Spread | null };
  /** Seeds in which the run blew up. */
  broke: number;
  /** Learned above chance in every seed's test set (verdict.ts learnedAboveChance). */
  learned: boolean;
}

export function judgeSeeds(
  seeds: readonly AnySeedOutcome[],
  chances: ChanceBySeed,
  classification: boolean,
): SeedsJudged {
  const accs = seeds.map(seedAcc);
  const losses = seeds.map(seedLoss);
  const broke = seeds.filter(seedBroke).length;
  const over = overChance(seeds, chances, classification);
  const learned = learnedAboveChance({
    broke,
    accuracyOverChance: classification ? over : null,
    relativeLossUnderChance: classification ? null : over,
  });
  return {
    spread: {
      testAcc: classification && accs.every((a) => a !== null) ? spreadOf(accs as number[]) : null,
      testLoss: losses.every(Number.isFinite) ? spreadOf(losses) : null,
    },
    broke,
    learned,
  };
}

/** What the pairing reads of a configuration: its seeds and whether it learned. */
export interface PairedRun {
  seeds: readonly AnySeedOutcome[];
  learned: boolean;
}

/** A treatment against no change, paired over the seeds both were trained at. */
export interface Judged {
  evidence: GainEvidence;
  /** Seeds both ran at. */
  common: number;
  accuracyGains: number[] | null;
  lossGains: number[];
}

export function judge(base: PairedRun, t: PairedRun, classification: boolean): Judged {
  const bySeed = new Map(base.seeds.map((s) => [s.seed, s]));
  const common = t.seeds.filter((s) => bySeed.has(s.seed));
  const pairs = common
    .map((s) => ({ b: bySeed.get(s.seed)!, t: s }))
    .filter((p) => !seedBroke(p.b) && !seedBroke(p.t));
  const accuracyGains =
    classification && pairs.every((p) => seedAcc(p.b) !== null && seedAcc(p.t) !== null)
      ? pairs.map((p) => seedAcc(p.t)! - seedAcc(p.b)!)
      : null;
  const lossGains = pairs.map((p) => seedLoss(p.b) - seedLoss(p.t));
  const baseLosses = common
    .map((s) => bySeed.get(s.seed)!)
    .filter((s) => !seedBroke(s))
    .map(seedLoss);
  const baseMean = baseLosses.length > 0 ? spreadOf(baseLosses).mean : Number.NaN;
  const scale = Math.abs(baseMean) > 0 ? Math.abs(baseMean) : 1;
  return {
    evidence: {
      seeds: common.length,
      broke: common.filter(seedBroke).length,
      baselineBroke: common.filter((s) => seedBroke(bySeed.get(s.seed)!)).length,
      accuracyGains,
      relativeLossGains: lossGains.map((g) => g / scale),
      learned: t.learned,
    },
    common: common.length,
    accuracyGains,
    lossGains,
  };
}

/** The numbers and the verdict a treatment reports (doctor's Treatment fields). */
export interface TreatmentJudgment {
  /**
   * Mean over seeds of no change's loss minus this loss: > 0 is better; +Infinity when this
   * rescued a run that blew up, -Infinity when it blew up.
   */
  lossGain: number;
  /** Mean over seeds of test accuracy minus no change's (classification only; null otherwise). */
  accuracyGain: number | null;
  /** Per seed (where neither blew up): test accuracy minus no change's at the same seed. */
  accuracyGains: number[] | null;
  /** Per seed (where neither blew up): no change's test loss minus this one at the same seed. */
  lossGains: number[];
  /** NOISE_STANDARD_ERRORS standard errors of the paired differences. */
  noise: { accuracy: number | null; loss: number | null };
  verdict: TreatmentVerdict;
  note: string | null;
  /** verdict "better" or "rescued". */
  improves: boolean;
}

export function treatmentJudgment(j: Judged): TreatmentJudgment {
  const e = j.evidence;
  const verdict = verdictOf(e);
  return {
    lossGain:
      e.broke > 0
        ? Number.NEGATIVE_INFINITY
        : e.baselineBroke > 0
          ? Number.POSITIVE_INFINITY
          : spreadOf(j.lossGains).mean,
    accuracyGain:
      e.baselineBroke > 0 || e.broke > 0 || j.accuracyGains === null
        ? null
        : spreadOf(j.accuracyGains).mean,
    accuracyGains: j.accuracyGains,
    lossGains: j.lossGains,
    noise: {
      accuracy: j.accuracyGains && j.accuracyGains.length > 0 ? noiseOf(j.accuracyGains) : null,
      loss: j.lossGains.length > 0 ? noiseOf(j.lossGains) : null,
    },
    verdict,
    note: verdictNote(e),
    improves: verdict === "better" || verdict === "rescued",
  };
}

/** The mean clears the margin in size but not the noise: more seeds could decide it. */
function undecided(diffs: readonly number[] | null, margin: number): boolean {
  if (!diffs || diffs.length < 2 || diffs.some((d) => !Number.isFinite(d))) return false;
  return Math.abs(spreadOf(diffs).mean) > margin && direction(diffs, margin) === 0;
}

/**
 * Whether a verdict rests on noise that more seeds could settle: a paired gain, or the
 * remedy's distance from chance, is beyond its margin in size but not beyond the seed noise.
 */
export function needsMoreSeeds(
  j: Judged,
  t: PairedRun,
  chances: ChanceBySeed,
  classification: boolean,
): boolean {
  const e = j.evidence;
  if (e.broke > 0 || e.baselineBroke > 0) return false;
  // the loss decides a classification verdict only next to an accuracy that moved
  const lossMatters =
    e.accuracyGains === null || direction(e.accuracyGains, ACCURACY_GAIN_MARGIN) !== 0;
  return (
    undecided(e.accuracyGains, ACCURACY_GAIN_MARGIN) ||
    (lossMatters && undecided(e.relativeLossGains, LOSS_GAIN_MARGIN)) ||
    undecided(
      overChance(t.seeds, chances, classification),
      classification ? ACCURACY_GAIN_MARGIN : CHANCE_LOSS_MARGIN,
    )
  );
}

/** What the ranking reads of a treatment (and sets: `rank`). */
export interface Rankable {
  seeds: readonly AnySeedOutcome[];
  verdict: TreatmentVerdict;
  improves: boolean;
  /** Changes it combines: fewer first within a tier. */
  remedyIds: readonly string[];
  rank: number | null;
}

/**
 * The treatments in report order, wins first (rescued and better ranked together), then
 * mixed, no gain, worse; sets `rank` on the wins. A win is placed above another only when it
 * beats it seed by seed beyond the margin and the noise (accuracy, or the relative loss for
 * regression; a run that blew up scores chance); wins that no other win beats that way share
 * a rank, fewer changes first, then the given order (the diagnosis's).
 */
export function orderTreatments<T extends Rankable>(
  treatments: readonly T[],
  chances: ChanceBySeed,
  classification: boolean,
): T[] {
  const scoreOf = (t: T, seed: number): number | undefined => {
    const s = t.seeds.find((x) => x.seed === seed);
    if (!s) return undefined;
    const c = chances.get(seed);
    if (classification) return seedBroke(s) ? (c?.accuracy ?? 0) : (seedAcc(s) ?? 0);
    return seedBroke(s) ? (c?.loss ?? Number.POSITIVE_INFINITY) : seedLoss(s);
  };
  const beats = (x: number, y: number): boolean => {
    const tx = treatments[x]!;
    const ty = treatments[y]!;
    const pairs = tx.seeds
      .map((s) => [scoreOf(tx, s.seed)!, scoreOf(ty, s.seed)] as const)
      .filter((p): p is readonly [number, number] => p[1] !== undefined);
    if (classification)
      return clears(
        pairs.map(([a, b]) => a - b),
        ACCURACY_GAIN_MARGIN,
      );
    const ref = Math.abs(spreadOf(pairs.map((p) => p[1])).mean) || 1;
    return clears(
      pairs.map(([a, b]) => (b - a) / ref),
      LOSS_GAIN_MARGIN,
    );
  };
  // Within a tier: fewer changes first, then the diagnosis's order.
  const tieKey = (x: number, y: number): number =>
    treatments[x]!.remedyIds.length - treatments[y]!.remedyIds.length || x - y;
  // the groups follow VERDICT_ORDER, the two wins ranked together
  const wins: TreatmentVerdict[] = ["rescued", "better"];
  const groups = [wins, ...VERDICT_ORDER.filter((v) => !wins.includes(v)).map((v) => [v])];
  const ordered: T[] = [];
  for (const group of groups) {
    const members = treatments.flatMap((t, i) => (group.includes(t.verdict) ? [i] : []));
    const { order, rank } = rankInTiers(
      members.length,
      (x, y) => beats(members[x]!, members[y]!),
      (x, y) => tieKey(members[x]!, members[y]!),
    );
    for (const i of order) {
      const t = treatments[members[i]!]!;
      if (t.improves) t.rank = rank[i]!;
      ordered.push(t);
    }
  }
  return ordered;
}
