import { binMax, binMean, binStarts, envelope } from "./downsample.ts";
import type { HistogramStepsData } from "./figures/histogram-steps.ts";
import type { ModuleHeatmapData } from "./figures/module-heatmap.ts";
import type { StepSeriesData } from "./figures/step-series.ts";
import type { UpdateRatioRows } from "./figures/update-ratio.ts";
import { groupModules, type ModuleGroup, moduleRows, type Row, type RowOrder } from "./modules.ts";
import { NOT_MEASURED, type RunStore, type RunSummary } from "./run-store.ts";
import { findSpikes } from "./spikes.ts";

/**
 * From a RunStore and the page's choices to the plain data each figure draws (DOM-free).
 * Every figure is thinned to about one bin per two pixels of its width, so drawing costs the
 * same for 10^3 or 10^5 recorded steps.
 */

/** What the page chose: row order, collapsed groups, the histogram's module and kind. */
export interface RowChoice {
  order: RowOrder;
  collapsed: readonly string[];
}

/** At most this many bins (columns) per pixel of figure width. */
const BINS_PER_PIXEL = 0.5;

export function columnsFor(width: number): number {
  return Math.max(40, Math.floor(width * BINS_PER_PIXEL));
}

/** Derived once per run: groups, spikes, the heatmap's fixed decades, the first NaN/Inf step. */
export class RunFigures {
  readonly groups: ModuleGroup[];
  readonly lossSpikes: number[];
  readonly gradSpikes: number[];
  readonly decades: [number, number];
  readonly firstNonFiniteStep: number | null;
  private readonly norms: number[];

  constructor(
    readonly store: RunStore,
    summary: RunSummary | null,
  ) {
    this.groups = groupModules(store.modules);
    this.lossSpikes = findSpikes(store.loss);
    this.gradSpikes = findSpikes(store.gradNorm);
    this.norms = store.modules.map((m) => store.typicalNorm(m.index));
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const col of store.gradWeightNorm) {
      for (const v of col) {
        if (v > 0 && Number.isFinite(v)) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
    if (lo <= hi) {
      const e0 = Math.floor(Math.log10(lo));
      const e1 = Math.ceil(Math.log10(hi));
      this.decades = [e0, e1 > e0 ? e1 : e0 + 1];
    } else {
      this.decades = [-1, 0];
    }
    const k = store.firstNonFinite;
    const fromSummary = summary?.explosion?.step;
    this.firstNonFiniteStep =
      k >= 0 ? store.steps[k]! : typeof fromSummary === "number" ? fromSummary : null;
  }

  rows(choice: RowChoice): Row[] {
    return moduleRows(
      this.store.modules,
      this.groups,
      new Set(choice.collapsed),
      choice.order,
      (i) => this.norms[i]!,
    );
  }

  /** Loss (which = "loss") or global gradient norm over steps. */
  series(which: "loss" | "gradNorm", width: number): StepSeriesData {
    const s = this.store;
    const values = which === "loss" ? s.loss : s.gradNorm;
    const starts = binStarts(s.size, columnsFor(width));
    const spikes = which === "loss" ? this.lossSpikes : this.gradSpikes;
    return {
      points: envelope(s.steps, values, starts),
      spikes: spikes.map((i) => ({ x: s.steps[i]!, y: values[i]! })),
      firstNonFinite: this.firstNonFiniteStep,
      stepRange: [s.steps[0] ?? 0, s.steps[s.size - 1] ?? 1],
      quantity: which === "loss" ? "loss" : "global gradient norm ‖g‖",
      perBin: Math.ceil(s.size / Math.max(1, starts.length - 1)),
    };
  }

  /** A row's weight-gradient norm per step: a group's is sqrt of its members' squares summed. */
  private rowNorms(row: Row): number[] {
    const cols = row.members.map((i) => this.store.gradWeightNorm[i]!);
    if (cols.length === 1) return cols[0]!;
    const n = this.store.size;
    const out = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      let sum = 0;
      let measured = false;
      for (const col of cols) {
        const v = col[k]!;
        if (v === NOT_MEASURED) continue;
        measured = true;
        sum += v * v;
      }
      out[k] = measured ? Math.sqrt(sum) : NOT_MEASURED;
    }
    return out;
  }

  heatmap(choice: RowChoice, width: number): ModuleHeatmapData {
    const s = this.store;
    const starts = binStarts(s.size, columnsFor(width * 0.75));
    // column c spans from its first step to the next column's first step (the last: one more)
    const edges = starts.slice(0, -1).map((i) => s.steps[i]!);
    const last = s.steps[s.size - 1] ?? 0;
    const prev = s.steps[s.size - 2] ?? last - 1;
    edges.push(last + Math.max(1, last - prev));
    return {
      edges,
      rows: this.rows(choice).map((row) => {
        const values = this.rowNorms(row);
        return {
          label: row.label,
          values: binMax(values, starts, (i) => values[i] === NOT_MEASURED),
        };
      }),
      decades: this.decades,
      firstNonFinite: this.firstNonFiniteStep,
      valueLabel: "‖∂L/∂W‖",
      perBin: Math.ceil(s.size / Math.max(1, starts.length - 1)),
    };
  }

  /** Update ratios per row (a collapsed group: the mean of its members' log ratios). */
  updates(choice: RowChoice, width: number): UpdateRatioRows {
    const s = this.store;
    const starts = binStarts(s.size, Math.min(columnsFor(width), 300));
    const centres: number[] = [];
    for (let b = 0; b + 1 < starts.length; b++) {
      centres.push((s.steps[starts[b]!]! + s.steps[starts[b + 1]! - 1]!) / 2);
    }
    const rows = this.rows(choice).map((row) => {
      const perMember = row.members.map((i) => binMean(s.updateRatio[i]!, starts));
      const values = centres.map((_, b) => {
        let sum = 0;
        let n = 0;
        for (const m of perMember) {
          const v = m[b]!;
          if (Number.isFinite(v)) {
            sum += v;
            n++;
          }
        }
        return n > 0 ? sum / n : Number.NaN;
      });
      return { label: row.label, values };
    });
    return { steps: centres, rows, perBin: Math.ceil(s.size / Math.max(1, centres.length)) };
  }

  histograms(module: number, kind: "grad" | "act"): HistogramStepsData {
    const s = this.store;
    return {
      steps: s.hist.map((h) => h.step),
      hists: s.hist.map((h) => (kind === "grad" ? h.grad[module] : h.act[module]) ?? null),
      quantity: kind === "grad" ? "|∂L/∂z|" : "|activation|",
      module: s.modules[module]?.name ?? `module ${module}`,
    };
  }
}
