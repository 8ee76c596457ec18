import type { VariantOutcome } from "../experiment/compare.ts";
import type { CsvTable } from "../experiment/csv-export.ts";
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
      JSON.stringify(o.changes),
    ]),
  };
}
