/**
 * How a treatment compares with "no change": the rule `doctor` ranks by. Pure numbers in,
 * a verdict out, so the rule is tested on its own (verdict.test.ts).
 *
 * Every configuration is trained at several seeds (doctor's `seeds`), and a treatment is
 * compared with no change seed by seed: the same seed gives both the same data, the same
 * split and the same minibatch order, so the paired difference removes what the seed alone
 * decides. A gain counts only when the mean paired difference clears its margin AND the seed
 * noise (stats.ts: 2 standard errors of the paired differences).
 */
import { clears, direction } from "./stats.ts";

/**
 * Relative loss changes smaller than this (2% of the baseline's loss) count as no measurable
 * change: below the run-to-run wobble of a short minibatch run. Relative, so a regression
 * loss of 0.01 and a cross-entropy of 1.1 are judged alike.
 */
export const LOSS_GAIN_MARGIN = 0.02;
/**
 * Accuracy gains smaller than this count as "no measurable gain": about two standard errors
 * of an accuracy near 50% on the default 200-example test set. Also how far above chance a
 * classifier must be to count as having learned anything.
 */
export const ACCURACY_GAIN_MARGIN = 0.07;
/**
 * A regression model has learned something when its test loss is below the loss of predicting
 * the training targets' mean by more than this fraction of it (R^2 above 0.1).
 */
export const CHANCE_LOSS_MARGIN = 0.1;

/**
 * - better: the headline metric (test accuracy for classification, test loss for regression)
 *   improved beyond its margin and the seed noise, the other one did not get worse beyond
 *   them, no seed blew up, and the remedy learned above chance;
 * - rescued: "no change" blew up (in at least one seed), and this remedy completed in every
 *   seed and learned above chance;
 * - mixed: one metric improved beyond its margin while the other got worse beyond its margin
 *   (e.g. higher accuracy with a higher test loss: right more often, but confidently wrong on
 *   the rest): reported, never ranked as a win;
 * - no gain: the headline metric did not move beyond its margin and the noise (a test loss
 *   that moved while the accuracy did not is named in the note: calibration, not a fix), or
 *   the remedy did not learn above chance, or it blew up in some seed where no change blew up
 *   in every seed;
 * - worse: the headline metric got worse beyond its margin and the noise and the other did not
 *   improve, or the remedy blew up in a seed (no change did not blow up in every seed).
 */
export type TreatmentVerdict = "better" | "rescued" | "mixed" | "no gain" | "worse";

/** Display and sort order: wins first, then mixed evidence, then the rest. */
export const VERDICT_ORDER: readonly TreatmentVerdict[] = [
  "rescued",
  "better",
  "mixed",
  "no gain",
  "worse",
];

/** What the verdict reads, per seed and paired with no change at the same seed. */
export interface GainEvidence {
  /** Seeds each configuration was trained at. */
  seeds: number;
  /** Seeds in which this treatment blew up (exploded or failed). */
  broke: number;
  /** Seeds in which "no change" blew up. */
  baselineBroke: number;
  /**
   * Per seed in which neither blew up: test accuracy minus no change's (classification;
   * null for regression).
   */
  accuracyGains: readonly number[] | null;
  /**
   * Per seed in which neither blew up: (no change's loss - this loss) / |no change's mean
   * loss| (test loss when there is a test set): > 0 is better.
   */
  relativeLossGains: readonly number[];
  /** This treatment learned above chance (learnedAboveChance). */
  learned: boolean;
}

/** The verdict before the above-chance rule (which only takes wins away). */
function rawVerdict(e: GainEvidence): TreatmentVerdict {
  if (e.broke > 0) return e.baselineBroke === e.seeds ? "no gain" : "worse";
  if (e.baselineBroke > 0) return "rescued";
  const loss = direction(e.relativeLossGains, LOSS_GAIN_MARGIN);
  const acc = e.accuracyGains === null ? null : direction(e.accuracyGains, ACCURACY_GAIN_MARGIN);
  // Regression: the loss is the only measure.
  if (acc === null) return loss > 0 ? "better" : loss < 0 ? "worse" : "no gain";
  if (acc > 0) return loss < 0 ? "mixed" : "better";
  if (acc < 0) return loss > 0 ? "mixed" : "worse";
  // Accuracy unchanged: a loss that moved is calibration, not a fix or a harm. (When both
  // remedies and no change are near 100%, the relative loss differences are large and noisy;
  // counting them made the verdict, and the top remedy, depend on the kernels.)
  return "no gain";
}

export function verdictOf(e: GainEvidence): TreatmentVerdict {
  const v = rawVerdict(e);
  // A remedy that does not learn above chance fixes nothing, whatever it beat.
  return (v === "better" || v === "rescued") && !e.learned ? "no gain" : v;
}

/** What a verdict rests on when that is not plain from the gains (null otherwise). */
export function verdictNote(e: GainEvidence): string | null {
  const v = verdictOf(e);
  if (e.broke > 0) return `blew up in ${e.broke} of ${e.seeds} seeds`;
  if (v === "mixed") {
    const accUp = e.accuracyGains !== null && direction(e.accuracyGains, ACCURACY_GAIN_MARGIN) > 0;
    return accUp ? "higher accuracy but higher test loss" : "lower test loss but lower accuracy";
  }
  if (v === "no gain" && rawVerdict(e) !== "no gain") return "did not learn above chance";
  if (v === "no gain" && e.accuracyGains !== null) {
    const loss = direction(e.relativeLossGains, LOSS_GAIN_MARGIN);
    if (loss > 0) return "lower test loss at the same accuracy";
    if (loss < 0) return "higher test loss at the same accuracy";
  }
  return null;
}

/** Per-seed measures of one configuration for the above-chance rule. */
export interface ChanceEvidence {
  /** Per seed: test accuracy minus the chance accuracy of that seed's test set (classification). */
  accuracyOverChance: readonly number[] | null;
  /**
   * Per seed: (loss of predicting the training targets' mean - test loss) / that loss
   * (regression).
   */
  relativeLossUnderChance: readonly number[] | null;
  /** Seeds in which the run blew up. */
  broke: number;
}

/**
 * Learned above chance: no seed blew up, and the accuracy is above chance by more than
 * ACCURACY_GAIN_MARGIN and the seed noise (regression: the test loss is below the mean
 * predictor's by more than CHANCE_LOSS_MARGIN of it and the noise).
 */
export function learnedAboveChance(e: ChanceEvidence): boolean {
  if (e.broke > 0) return false;
  if (e.accuracyOverChance !== null) return clears(e.accuracyOverChance, ACCURACY_GAIN_MARGIN);
  if (e.relativeLossUnderChance !== null)
    return clears(e.relativeLossUnderChance, CHANCE_LOSS_MARGIN);
  return false;
}
