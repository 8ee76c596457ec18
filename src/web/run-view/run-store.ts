import type { TrainConfig } from "../../experiment/config.ts";
import { type ImportedRunConfig, isImportedConfig } from "../../experiment/run-diagnosis.ts";
import type { TrainRecord, TrainSummary } from "../../experiment/train/recorder.ts";
import { finiteMedian, type ModuleInfo } from "./modules.ts";
import { isLogHistogram, type LogHistogram, num, type RawRecord } from "./parse.ts";

/**
 * A run held for the Run view (DOM-free): records are added one at a time as metrics.jsonl
 * streams in, and kept in the shapes the view needs, never as the raw lines:
 * - per step: step, loss, global gradient norm (plain arrays: 10^5 steps are 2.4 MB);
 * - per module and step: the weight-gradient norm and the update ratio (columns);
 * - for the diagnosis: each record with its metrics only (the histograms and path strings,
 *   most of an imported line's bytes, are dropped: the diagnosis reads neither);
 * - histograms: those of at most HIST_CAP recorded steps, spread evenly over the run (the
 *   stride doubles whenever the kept steps reach twice the cap).
 */

export const HIST_CAP = 120;

/** A weight-gradient norm the run did not measure (null in the record): norms are >= 0. */
export const NOT_MEASURED = -1;

export type AnyRunConfig = TrainConfig | ImportedRunConfig;

/** Per kept step: each module's histograms of |dL/dz| and |activation|. */
export interface HistStep {
  step: number;
  grad: (LogHistogram | null)[];
  act: (LogHistogram | null)[];
}

/** Where the run comes from, in words (the first line of `gradscope diagnose`). */
export function originLine(config: AnyRunConfig | null, moduleCount: number): string {
  if (config === null) return `metrics only (no config.json), ${moduleCount} modules`;
  if (isImportedConfig(config)) {
    return `imported from ${config.source}${config.name ? ` (${config.name})` : ""}, ${config.modules.length} modules`;
  }
  return `gradscope train, depth ${config.depth}, ${config.activation}, init ${config.init}`;
}

/** Fields of a record's module the diagnosis never reads: the bulk of an imported line. */
const DROPPED = new Set(["hist", "path", "weight"]);

export class RunStore {
  readonly steps: number[] = [];
  readonly loss: number[] = [];
  /** True where the record has no loss (null): not a non-finite value. */
  readonly lossMissing: boolean[] = [];
  readonly gradNorm: number[] = [];
  readonly modules: ModuleInfo[] = [];
  /** gradWeightNorm[module][stepIndex]; NOT_MEASURED where the record has none */
  readonly gradWeightNorm: number[][] = [];
  /** updateRatio[module][stepIndex]: log10(std ΔW / std W); NaN when not recorded */
  readonly updateRatio: number[][] = [];
  /** The records as the diagnosis reads them (metrics only). */
  readonly records: TrainRecord[] = [];
  readonly hist: HistStep[] = [];
  /** Index of the first record with NaN/Inf in its loss, gradient norm or any module, or -1. */
  firstNonFinite = -1;
  hasUpdateRatio = false;
  hasHist = false;
  /** Lines that were not records (with their line numbers), the first few. */
  readonly badLines: { line: number; message: string }[] = [];
  badLineCount = 0;
  private histStride = 1;
  private readonly moduleOf = new Map<number, number>();

  constructor(readonly config: AnyRunConfig | null) {
    if (config !== null && isImportedConfig(config)) {
      for (const m of config.modules) this.addModule(m.layer, m.path, m.type);
    }
  }

  private addModule(layer: number, path: string | undefined, type: string | null): number {
    const index = this.modules.length;
    this.modules.push({ index, layer, name: path ?? `layer ${layer}`, type });
    this.moduleOf.set(layer, index);
    const n = this.steps.length;
    this.gradWeightNorm.push(new Array<number>(n).fill(NOT_MEASURED));
    this.updateRatio.push(new Array<number>(n).fill(Number.NaN));
    return index;
  }

  get size(): number {
    return this.steps.length;
  }

  /** Note a line that could not be read (kept for the status line). */
  rejectLine(line: number, message: string): void {
    this.badLineCount++;
    if (this.badLines.length < 3) this.badLines.push({ line, message });
  }

  add(record: RawRecord): void {
    const k = this.steps.length;
    this.steps.push(record.step);
    const lossMissing = record.loss === null;
    this.loss.push(lossMissing ? Number.NaN : (record.loss as number));
    this.lossMissing.push(lossMissing);
    const gradNorm = num(record.gradNorm);
    this.gradNorm.push(gradNorm);
    let nonfinite =
      (!lossMissing && !Number.isFinite(record.loss)) ||
      (typeof record.gradNorm === "number" && !Number.isFinite(gradNorm));
    for (const col of this.gradWeightNorm) col.push(NOT_MEASURED);
    for (const col of this.updateRatio) col.push(Number.NaN);
    const keepHist = k % this.histStride === 0;
    const histStep: HistStep | null = keepHist ? { step: record.step, grad: [], act: [] } : null;
    const slim: TrainRecord["layers"] = [];
    for (const layer of record.layers) {
      const i =
        this.moduleOf.get(layer.layer) ??
        this.addModule(layer.layer, typeof layer.path === "string" ? layer.path : undefined, null);
      const g = layer.gradWeightNorm;
      this.gradWeightNorm[i]![k] = typeof g === "number" ? g : NOT_MEASURED;
      const ratio = layer.updateRatio;
      if (typeof ratio === "number") {
        this.updateRatio[i]![k] = ratio;
        if (Number.isFinite(ratio)) this.hasUpdateRatio = true;
      }
      if (typeof layer.nonfinite === "number" && layer.nonfinite > 0) nonfinite = true;
      const metrics: Record<string, unknown> = {};
      for (const key in layer) if (!DROPPED.has(key)) metrics[key] = layer[key];
      const hist = layer.hist;
      if (histStep && hist) {
        const grad = isLogHistogram(hist.grad) ? hist.grad : null;
        const act = isLogHistogram(hist.act) ? hist.act : null;
        if (grad || act) this.hasHist = true;
        histStep.grad[i] = grad;
        histStep.act[i] = act;
      }
      slim.push(metrics as unknown as TrainRecord["layers"][number]);
    }
    if (nonfinite && this.firstNonFinite < 0) this.firstNonFinite = k;
    const kept: Record<string, unknown> = {
      step: record.step,
      loss: record.loss,
      layers: slim,
    };
    if (record.gradNorm !== undefined) kept.gradNorm = record.gradNorm;
    this.records.push(kept as unknown as TrainRecord);
    if (histStep && histStep.grad.length + histStep.act.length > 0) {
      this.hist.push(histStep);
      if (this.hist.length >= 2 * HIST_CAP) this.thinHist();
    }
  }

  /** Keep every other kept histogram step and double the stride for the ones to come. */
  private thinHist(): void {
    this.histStride *= 2;
    const kept = this.hist.filter((_, i) => i % 2 === 0);
    this.hist.length = 0;
    this.hist.push(...kept);
  }

  /** The module's typical gradient norm: its median over the recorded steps (NaN if none). */
  typicalNorm(module: number): number {
    return finiteMedian(this.gradWeightNorm[module]!.filter((v) => v !== NOT_MEASURED));
  }
}

/** summary.json as far as the Run view reads it. */
export type RunSummary = Partial<Pick<TrainSummary, "status" | "explosion" | "message">>;
