import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../../../report/axes.ts";
import { type FigureOptions, resolveDocument } from "../../../report/dom.ts";
import { rowRuns } from "../../../report/figures/row-runs.ts";
import { formatTick, textWidth } from "../../../report/format.ts";
import { composeFigure, DEFAULT_WIDTH, FONT_SIZE, type LegendItem } from "../../../report/frame.ts";
import { INK, NONFINITE_COLOR, sample, viridis, ZERO_COLOR } from "../../../report/palette.ts";
import { binIndex } from "../../../report/quantize.ts";

/** A per-module quantity over steps: one row per module (or collapsed group). */
export interface ModuleHeatmapData {
  /** Column edges in steps: column c spans [edges[c], edges[c + 1]). */
  edges: readonly number[];
  rows: readonly { label: string; values: readonly (number | undefined)[] }[];
  /**
   * The colour scale in whole decades of the value, [lo, hi], fixed for the run (computed
   * over every module and step), so collapsing groups or resizing never recolours a cell.
   */
  decades: [number, number];
  /** First step with NaN/Inf, marked by a rule. */
  firstNonFinite: number | null;
  /** The value's name for the colour bar, e.g. "‖∂L/∂W‖". */
  valueLabel: string;
  perBin: number;
}

/** Thresholds in log10 of the value: one colour per decade (per 2, 3 ... when they are many). */
export function decadeThresholds(lo: number, hi: number, maxBins = 12): number[] {
  const span = Math.max(1, hi - lo);
  const step = Math.ceil(span / maxBins);
  const out: number[] = [];
  for (let t = lo + step; t < hi; t += step) out.push(t);
  return out;
}

/** `label`, cut from the left with an ellipsis to fit `width` pixels (the end names the module). */
export function fitLabel(label: string, width: number): string {
  if (textWidth(label, FONT_SIZE) <= width) return label;
  let cut = label;
  while (cut.length > 4 && textWidth(`…${cut}`, FONT_SIZE) > width) cut = cut.slice(1);
  return `…${cut}`;
}

interface Cell {
  x1: number;
  x2: number;
  row: string;
  fill: string;
}

/**
 * log10 of a per-module value (the weight-gradient norm) over training steps, rows labelled
 * by module path in the order given, on a fixed decade colour scale; zero cells grey, NaN/Inf
 * red.
 */
export function moduleHeatmap(data: ModuleHeatmapData, options: FigureOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const [lo, hi] = data.decades;
  const thresholds = decadeThresholds(lo, hi);
  const colors = sample(viridis, thresholds.length + 1);
  const labelRoom = Math.min(
    Math.max(60, ...data.rows.map((r) => textWidth(r.label, FONT_SIZE))) + 14,
    Math.round(width * 0.42),
  );
  const labels = data.rows.map((r) => fitLabel(r.label, labelRoom - 14));
  // Two rows cannot share a label on a band scale: make cut labels unique by row number.
  const seen = new Set<string>();
  const keys = labels.map((l, i) => {
    const key = seen.has(l) ? `${l} (${i + 1})` : l;
    seen.add(key);
    return key;
  });
  const cells: Cell[] = [];
  let zeros = 0;
  let nonfinite = 0;
  data.rows.forEach((row, r) => {
    const fillAt = (c: number): string | undefined => {
      const v = row.values[c];
      if (v === undefined) return undefined;
      if (Number.isNaN(v) || !Number.isFinite(v)) return NONFINITE_COLOR;
      if (v <= 0) return ZERO_COLOR;
      return colors[binIndex(Math.log10(v), thresholds)];
    };
    for (const run of rowRuns(row.values.length, fillAt)) {
      if (run.key === NONFINITE_COLOR) nonfinite++;
      if (run.key === ZERO_COLOR) zeros++;
      cells.push({
        x1: data.edges[run.start]!,
        x2: data.edges[run.end]!,
        row: keys[r]!,
        fill: run.key,
      });
    }
  });
  const extras: LegendItem[] = [];
  if (zeros > 0) extras.push({ label: "= 0", color: ZERO_COLOR, shape: "rect" });
  if (nonfinite > 0) extras.push({ label: "NaN or ∞", color: NONFINITE_COLOR, shape: "rect" });
  const n = Math.max(1, data.rows.length);
  const rowHeight = n <= 24 ? 20 : n <= 60 ? 14 : 11;
  const tickEvery = rowHeight >= 13 ? 1 : 2;
  const x0 = data.edges[0] ?? 0;
  const x1 = data.edges[data.edges.length - 1] ?? 1;
  const marks: Plot.Markish[] = [
    Plot.barX(cells, {
      x1: "x1",
      x2: "x2",
      y: "row",
      fill: "fill",
      inset: 0,
      shapeRendering: "crispEdges",
    }),
  ];
  if (data.firstNonFinite !== null) {
    marks.push(Plot.ruleX([data.firstNonFinite], { stroke: INK, strokeDasharray: "4 3" }));
  }
  const thinned =
    data.perBin > 1
      ? `each column: up to ${data.perBin} recorded steps, their largest value`
      : undefined;
  return composeFigure({
    document: resolveDocument(options.document),
    width,
    height: options.height ?? 190 + n * rowHeight,
    header: {
      title: options.title ?? `Gradient norm ${data.valueLabel} per module over training steps`,
      subtitle: [options.subtitle, thinned].filter(Boolean).join("; ") || undefined,
      colorBar: {
        title: `log₁₀ ${data.valueLabel} (scale fixed for the run)`,
        colors,
        thresholds,
        format: formatTick,
        extras,
      },
    },
    panels: [
      () => ({
        ...MARGINS,
        marginLeft: labelRoom,
        x: { ...linearScale(x0, x1, "training step", { grid: false }), domain: [x0, x1] },
        y: {
          type: "band",
          domain: keys,
          label: null,
          padding: 0,
          tickSize: 0,
          ticks: keys.filter((_, i) => i % tickEvery === 0),
        },
        color: { type: "identity" },
        marks,
      }),
    ],
  });
}
