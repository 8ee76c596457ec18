import type { DType } from "../core/dtype.ts";
import { isFiniteSnapshot } from "../diagnose/measures.ts";
import type { TrainRecord } from "../experiment/train/recorder.ts";
import type { GradientHeatmapData, LossCurvesData, UpdateRatioData } from "../report/index.ts";
import { judgeFlow, RunVerdictTracker, type Verdict } from "../verdict/index.ts";
import { layerPoint, type ProbeSummary, summarize } from "../verdict/summary.ts";

/** Records with a full-set evaluation are rare and always kept. */
function evaluated(r: TrainRecord): boolean {
  return r.trainLoss !== undefined;
}

/**
 * The recorded steps of a run in the page, and the data of each live figure. Long runs are
 * thinned (every other record dropped; the first, the latest and every evaluation kept) once `maxRecords` is reached, so
 * a 100,000-step run keeps the page's memory bounded; `thinning` says by how much. DOM-free.
 */
export class RunHistory {
  readonly records: TrainRecord[] = [];
  /** Records kept are about every `thinning`-th recorded step. */
  thinning = 1;
  private pending = 0;
  private lastIsKeeper = true;

  /** The run's dtype: the verdict's float limits depend on it. */
  dtype: DType = "f64";
  /** Sees every record before thinning: the run verdict of the whole history. */
  private readonly verdicts = new RunVerdictTracker();

  constructor(readonly maxRecords = 1500) {}

  get latest(): TrainRecord | null {
    return this.records[this.records.length - 1] ?? null;
  }

  add(records: readonly TrainRecord[]): void {
    for (const r of records) {
      this.verdicts.observe({
        step: r.step,
        flow: judgeFlow(r.layers.map(layerPoint), { dtype: this.dtype }),
        gradNorm: r.gradNorm,
        loss: r.loss,
        finite: isFiniteSnapshot(r),
      });
      if (this.thinning > 1) {
        // Keep one record in `thinning`; the newest always shows, replacing a non-keeper.
        this.pending++;
        if (!this.lastIsKeeper) this.records.pop();
        this.records.push(r);
        this.lastIsKeeper = this.pending % this.thinning === 0 || evaluated(r);
      } else {
        this.records.push(r);
      }
      if (this.records.length > this.maxRecords) this.thin();
    }
  }

  private thin(): void {
    const last = this.records[this.records.length - 1]!;
    const kept = this.records.filter((r, i) => i % 2 === 0 || evaluated(r));
    if (kept[kept.length - 1] !== last) kept.push(last);
    this.records.length = 0;
    this.records.push(...kept);
    this.thinning *= 2;
    this.pending = 0;
    this.lastIsKeeper = true;
  }

  clear(): void {
    this.verdicts.clear();
    this.records.length = 0;
    this.thinning = 1;
    this.pending = 0;
    this.lastIsKeeper = true;
  }

  /** The flow verdict of the latest recorded step alone. */
  latestSummary(): ProbeSummary | null {
    const r = this.latest;
    return r ? summarize(r.layers, this.dtype) : null;
  }

  /**
   * The run's verdict over every step recorded so far (src/verdict judgeRun: a run that blew
   * up is "exploded"), as the CLI's train and diagnosis say it. Null before the first record.
   */
  runVerdict(): { verdict: Verdict; message: string } | null {
    if (this.latest === null) return null;
    const j = this.verdicts.judgment();
    return { verdict: j.verdict, message: j.message };
  }

  /** At most `maxColumns` records, evenly spread, first and last included. */
  sample(maxColumns: number): TrainRecord[] {
    const n = this.records.length;
    if (n <= maxColumns) return this.records.slice();
    const out: TrainRecord[] = [];
    for (let i = 0; i < maxColumns; i++) {
      out.push(this.records[Math.round((i * (n - 1)) / (maxColumns - 1))]!);
    }
    return out;
  }

  heatmap(maxColumns = 60): GradientHeatmapData {
    const recs = this.sample(maxColumns);
    return {
      steps: recs.map((r) => r.step),
      layers: recs[0]?.layers.length ?? 0,
      values: recs.map((r) => r.layers.map((m) => m.gradWeightNorm)),
    };
  }

  updateRatios(maxColumns = 200): UpdateRatioData {
    const recs = this.sample(maxColumns).filter((r) =>
      r.layers.some((m) => m.updateRatio !== null),
    );
    const depth = recs[0]?.layers.length ?? 0;
    return {
      steps: recs.map((r) => r.step),
      perLayer: Array.from({ length: depth }, (_, l) => ({
        layer: l + 1,
        values: recs.map((r) => r.layers[l]?.updateRatio ?? Number.NaN),
      })),
    };
  }

  loss(maxColumns = 300): LossCurvesData {
    const recs = this.sample(maxColumns);
    // Evaluations are sparse: keep every record that has one, even between samples.
    const evals = this.records.filter((r) => r.testLoss !== undefined || r.trainAcc !== undefined);
    const bySteps = new Map<number, TrainRecord>();
    for (const r of [...recs, ...evals]) bySteps.set(r.step, r);
    const all = [...bySteps.values()].sort((a, b) => a.step - b.step);
    const data: LossCurvesData = {
      steps: all.map((r) => r.step),
      trainLoss: all.map((r) => r.loss),
    };
    if (evals.some((r) => r.testLoss !== undefined)) {
      data.testLoss = all.map((r) => r.testLoss ?? Number.NaN);
    }
    if (evals.some((r) => r.trainAcc !== undefined)) {
      data.trainAcc = all.map((r) => r.trainAcc ?? Number.NaN);
      data.testAcc = all.map((r) => r.testAcc ?? Number.NaN);
    }
    return data;
  }
}
