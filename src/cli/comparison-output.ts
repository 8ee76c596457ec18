import type { VariantOutcome } from "../experiment/compare.ts";
import type { CsvTable } from "../experiment/csv-export.ts";
import type { DoctorReport, DoctorRun, Treatment } from "../experiment/doctor.ts";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import type { ComparedRun } from "../report/figures-for/comparison.ts";

/** Keeps each run's first and last recorded layers, for the comparison figures. */
export class RunsAtEnds {
  readonly start: ComparedRun[] = [];
  readonly end: ComparedRun[] = [];
  take(label: string, records: readonly TrainRecord[]): void {
    const first = records[0];
    const last = records[records.length - 1];
    if (first) this.start.push({ label, layers: first.layers });
    if (last) this.end.push({ label, layers: last.layers });
  }
}

/** One row per configuration of a comparison (compare and doctor --csv). */
export function outcomesCsv(outcomes: readonly VariantOutcome[]): CsvTable {
  return {
    header: [
      "label",
      "status",
      "initialLoss",
      "finalLoss",
      "testLoss",
      "trainAcc",
      "testAcc",
      "stepsToTarget",
      "initialGradRatio",
      "finalGradRatio",
      "initialVerdict",
      "finalVerdict",
      "verdict",
      "changes",
    ],
    rows: outcomes.map((o) => [
      o.label,
      o.status,
      o.initialLoss,
      o.finalLoss,
      o.testLoss,
      o.trainAcc,
      o.testAcc,
      o.stepsToTarget,
      o.initialGradRatio,
      o.finalGradRatio,
      o.initialVerdict,
      o.finalVerdict,
      o.verdict,
      JSON.stringify(o.changes),
    ]),
  };
}

/**
 * doctor --csv-out: one row per run, "no change" first, with the columns of compare plus how
 * doctor judged it (verdict, gains, the learning rate kept, batch-norm recalibration).
 */
export function doctorCsv(report: DoctorReport): CsvTable {
  const base = outcomesCsv([report.baseline, ...report.treatments.map((t) => t.outcome)]);
  const runs: (DoctorRun & Partial<Treatment>)[] = [report.baselineRun, ...report.treatments];
  return {
    header: [
      ...base.header,
      "verdict",
      "lr",
      "accuracyGain",
      "lossGain",
      "flowGain",
      "bnRecalibrated",
      "testLossBeforeRecalibration",
      "testAccBeforeRecalibration",
      "findingsLeft",
    ],
    rows: base.rows.map((row, i) => {
      const r = runs[i]!;
      return [
        ...row,
        r.verdict ?? "baseline",
        r.lr,
        r.accuracyGain ?? null,
        r.lossGain ?? null,
        r.flowGain ?? null,
        r.recalibrated !== null,
        r.recalibrated?.before.testLoss ?? null,
        r.recalibrated?.before.testAcc ?? null,
        r.remaining?.join(" ") ?? "",
      ];
    }),
  };
}
