/**
 * How a treatment compares with "no change": the rule `doctor` ranks by. Pure numbers in,
 * a verdict out, so the rule is tested on its own (verdict.test.ts).
 */

/**
 * Relative loss changes smaller than this (2% of the baseline's loss) count as no measurable
 * change: below the run-to-run wobble of a short minibatch run. Relative, so a regression
 * loss of 0.01 and a cross-entropy of 1.1 are judged alike.
 */
export const LOSS_GAIN_MARGIN = 0.02;
/**
 * Accuracy gains smaller than this count as "no measurable gain": about two standard errors
 * of an accuracy near 50% on the default 200-example test set.
 */
export const ACCURACY_GAIN_MARGIN = 0.07;

/**
 * - better: the headline metric (test accuracy for classification, test loss for regression)
 *   improved beyond its margin, and the other one did not get worse beyond its margin;
 * - rescued: "no change" exploded or failed, and this run completed with a loss that ended no
 *   higher than it started;
 * - mixed: one metric improved beyond its margin while the other got worse beyond its margin
 *   (e.g. higher accuracy with a higher test loss: right more often, but confidently wrong on
 *   the rest): reported, never ranked as a win;
 * - no gain: neither metric moved beyond its margin;
 * - worse: a metric got worse beyond its margin and none improved, or the run blew up.
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

export interface GainEvidence {
  /** Baseline loss minus this run's (test loss when there is a test set); +/-Inf for runs that blew up. */
  lossGain: number;
  /** The baseline's loss, for the relative margin. */
  baselineLoss: number;
  /** Test accuracy minus the baseline's (null: regression, or no comparable accuracy). */
  accuracyGain: number | null;
  /** The baseline exploded or failed. */
  baselineBroke: boolean;
  /** This run completed with a finite loss that ended no higher than it started. */
  sane: boolean;
  /** This run exploded or failed. */
  broke: boolean;
}

/** -1 worse beyond the margin, 0 within it, +1 better beyond it. */
function direction(gain: number, margin: number): -1 | 0 | 1 {
  return gain > margin ? 1 : gain < -margin ? -1 : 0;
}

export function verdictOf(e: GainEvidence): TreatmentVerdict {
  if (e.baselineBroke) return e.sane ? "rescued" : "worse";
  if (e.broke) return "worse";
  const lossMargin = LOSS_GAIN_MARGIN * Math.abs(e.baselineLoss);
  const loss = direction(e.lossGain, lossMargin);
  const acc = e.accuracyGain === null ? null : direction(e.accuracyGain, ACCURACY_GAIN_MARGIN);
  // Regression: the loss is the only measure.
  if (acc === null) return loss > 0 ? "better" : loss < 0 ? "worse" : "no gain";
  if (acc > 0) return loss < 0 ? "mixed" : "better";
  if (acc < 0) return loss > 0 ? "mixed" : "worse";
  // Accuracy unchanged: a clearly lower loss is a real but secondary gain (better calibrated).
  return loss > 0 ? "better" : loss < 0 ? "worse" : "no gain";
}

/** What a mixed verdict means, in words (null for the other verdicts). */
export function mixedNote(e: GainEvidence): string | null {
  if (verdictOf(e) !== "mixed") return null;
  return (e.accuracyGain ?? 0) > 0
    ? "higher accuracy but higher test loss"
    : "lower test loss but lower accuracy";
}
