import type { VariantOutcome } from "../experiment/compare.ts";
import type { CsvTable } from "../experiment/csv-export.ts";
import type { DoctorReport, DoctorRun, Treatment } from "../experiment/doctor.ts";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import { chanceLevel } from "../report/figures/loss-curves.ts";
import type { ComparedRun } from "../report/figures-for/comparison.ts";

/**
 * Keeps each run's first and last recorded layers, and its loss and test accuracy over steps,
 * for the comparison figures; with the run's config and summary, the chance level too.
 */
export class RunsAtEnds {
  readonly start: ComparedRun[] = [];
  readonly end: ComparedRun[] = [];
  take(
    label: string,
    records: readonly TrainRecord[],
    run?: {
      config?: { loss?: string };
      summary?: { dataset?: { task?: string; outputDim?: number } | null } | null;
    },
  ): void {
    const first = records[0];
    const last = records[records.length - 1];
    const num = (v: number | null | undefined) => (typeof v === "number" ? v : Number.NaN);
    const history = {
      label,
      steps: records.map((r) => r.step),
      loss: records.map((r) => num(r.loss)),
      testAcc: records.map((r) => num(r.testAcc)),
    };
    const ds = run?.summary?.dataset;
    const chance =
      ds && run?.config?.loss
        ? chanceLevel(run.config.loss, ds.task ?? "", ds.outputDim ?? 0)
        : null;
    if (first) this.start.push({ label, layers: first.layers, history, chance });
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
 * doctor --csv-out: one row per configuration, "no change" first, with the columns of compare
 * (means over the seeds) plus how doctor judged it: verdict and rank, the learning rate kept,
 * the spread over the seeds and each seed's value, the paired gains and the noise they were
 * held against, batch-norm recalibration.
 */
export function doctorCsv(report: DoctorReport): CsvTable {
  const base = outcomesCsv([report.baseline, ...report.treatments.map((t) => t.outcome)]);
  const runs: (DoctorRun & Partial<Treatment>)[] = [report.baselineRun, ...report.treatments];
  const perSeed = (r: DoctorRun, f: (s: DoctorRun["seeds"][number]) => number | null): string =>
    r.seeds.map((s) => String(f(s) ?? "")).join(" ");
  return {
    header: [
      ...base.header,
      "verdict",
      "rank",
      "lr",
      "seeds",
      "testAccSd",
      "testAccMin",
      "testAccMax",
      "testLossSd",
      "testLossMin",
      "testLossMax",
      "testAccPerSeed",
      "testLossPerSeed",
      "brokeSeeds",
      "learned",
      "accuracyGain",
      "accuracyNoise",
      "lossGain",
      "lossNoise",
      "flowGain",
      "bnRecalibrated",
      "testLossBeforeRecalibration",
      "testAccBeforeRecalibration",
      "findingsLeft",
    ],
    rows: base.rows.map((row, i) => {
      const r = runs[i]!;
      const acc = r.spread.testAcc;
      const loss = r.spread.testLoss;
      return [
        ...row,
        r.verdict ?? "baseline",
        r.rank ?? null,
        r.lr,
        report.seeds.join(" "),
        acc?.sd ?? null,
        acc?.min ?? null,
        acc?.max ?? null,
        loss?.sd ?? null,
        loss?.min ?? null,
        loss?.max ?? null,
        perSeed(r, (s) => s.testAcc),
        perSeed(r, (s) => s.testLoss),
        r.broke,
        r.learned,
        r.accuracyGain ?? null,
        r.noise?.accuracy ?? null,
        r.lossGain ?? null,
        r.noise?.loss ?? null,
        r.flowGain ?? null,
        r.recalibrated !== null,
        r.recalibrated?.before.testLoss ?? null,
        r.recalibrated?.before.testAcc ?? null,
        r.remaining?.join(" ") ?? "",
      ];
    }),
  };
}
