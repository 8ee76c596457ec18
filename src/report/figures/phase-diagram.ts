import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber, formatTick } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem, SMALL_SIZE } from "../frame.ts";
import { blueWhiteRed, INK, MISSING_COLOR, sample } from "../palette.ts";
import { binIndex } from "../quantize.ts";
import { cellEdges } from "./gradient-heatmap.ts";
import { logCellEdges, logTicks, usesLogAxis } from "./phase-axis.ts";
import { rowRuns } from "./row-runs.ts";

export interface PhaseDiagramData {
  /** chi1 at each grid point (any order; the grid is the set of distinct values). */
  grid: readonly { weightVar: number; biasVar: number; chi1: number }[];
  /** The critical line chi1 = 1. */
  criticalLine: readonly { weightVar: number; biasVar: number }[];
  /** A network to mark, e.g. the one being diagnosed. */
  marker?: { weightVar: number; biasVar: number; label?: string };
}

export interface PhaseDiagramOptions extends FigureOptions {
  /** chi1 thresholds of the colour bins, ascending (default CHI1_THRESHOLDS_WIDE, 0.05 .. 20). */
  thresholds?: readonly number[];
}

/** Symmetric in log(chi1) around 1: each bin above 1 mirrors one below. */
export const CHI1_THRESHOLDS = [0.5, 0.75, 0.9, 0.98, 1.02, 1.11, 1.33, 2] as const;

/**
 * The figure's default bins: CHI1_THRESHOLDS and three decades-wide bins on each side, so
 * chi1 = 0.02 (gradients gone in a few layers) and 0.45 (gone in tens) differ in colour, as do
 * 2.5 and 40. Symmetric in log(chi1) around 1 as well.
 */
export const CHI1_THRESHOLDS_WIDE = [
  0.05, 0.1, 0.2, 0.5, 0.75, 0.9, 0.98, 1.02, 1.11, 1.33, 2, 5, 10, 20,
] as const;

interface Cell {
  x1: number;
  x2: number;
  y1: number;
  y2: number;
  fill: string;
}

/**
 * Where the marker's label goes: right of the dot, or left of it in the right part of the
 * plot; above it near the bottom edge and below it near the top, so it never sits on an axis.
 */
export function markerLabelPlacement(
  m: { weightVar: number; biasVar: number } | undefined,
  xDomain: readonly [number, number],
  yDomain: readonly [number, number],
): { dx: number; dy: number; textAnchor: "start" | "end" } {
  if (!m) return { dx: 12, dy: 0, textAnchor: "start" };
  const fx = (m.weightVar - xDomain[0]) / (xDomain[1] - xDomain[0] || 1);
  const fy = (m.biasVar - yDomain[0]) / (yDomain[1] - yDomain[0] || 1);
  const left = fx > 0.6;
  return {
    dx: left ? -12 : 12,
    dy: fy < 0.12 ? -16 : fy > 0.88 ? 16 : 0,
    textAnchor: left ? "end" : "start",
  };
}

/** Distinct sorted values. */
function distinct(values: readonly number[]): number[] {
  return [...new Set(values.filter(Number.isFinite))].sort((a, b) => a - b);
}

/**
 * Figure 8: the mean-field phase diagram: chi1 (the per-layer factor of the mean squared
 * gradient) over weight variance sigma_w^2 and bias variance sigma_b^2, blue where gradients
 * vanish (ordered, chi1 < 1), red where they explode (chaotic, chi1 > 1), with the critical
 * line chi1 = 1 and an optional marked network. The weight-variance axis is logarithmic when
 * the grid spans more than 1.6 decades (usesLogAxis); equal neighbouring cells of a row are
 * drawn as one rectangle.
 */
export function phaseDiagram(data: PhaseDiagramData, options: PhaseDiagramOptions = {}): string {
  const thresholds = [...(options.thresholds ?? CHI1_THRESHOLDS_WIDE)];
  const colors = sample(blueWhiteRed, thresholds.length + 1, 0.06, 0.94);
  const xs = distinct(data.grid.map((g) => g.weightVar));
  const ys = distinct(data.grid.map((g) => g.biasVar));
  const log = xs.length > 1 && usesLogAxis(xs[0]!, xs[xs.length - 1]!);
  // A log axis is drawn as a linear one over log10(sigma_w^2) with tick labels in sigma_w^2:
  // Plot's own log scale blanks the labels of ticks it considers too dense (5, 50, ...).
  const pos = (w: number) => (log ? Math.log10(w) : w);
  const xe = log ? logCellEdges(xs).map(pos) : cellEdges(xs);
  const ye = cellEdges(ys);
  const xi = new Map(xs.map((v, i) => [v, i]));
  const yi = new Map(ys.map((v, i) => [v, i]));
  // fills[j][i]: the colour of weight variance i at bias variance j (undefined: no point).
  const fills: (string | undefined)[][] = ys.map(() => new Array<string | undefined>(xs.length));
  const bad: Cell[] = [];
  for (const g of data.grid) {
    const i = xi.get(g.weightVar);
    const j = yi.get(g.biasVar);
    if (i === undefined || j === undefined) continue;
    const ok = Number.isFinite(g.chi1);
    const fill = ok ? colors[binIndex(g.chi1, thresholds)]! : MISSING_COLOR;
    fills[j]![i] = fill;
    if (!ok) bad.push({ x1: xe[i]!, x2: xe[i + 1]!, y1: ye[j]!, y2: ye[j + 1]!, fill });
  }
  const cells: Cell[] = [];
  fills.forEach((row, j) => {
    for (const r of rowRuns(xs.length, (i) => row[i])) {
      cells.push({ x1: xe[r.start]!, x2: xe[r.end]!, y1: ye[j]!, y2: ye[j + 1]!, fill: r.key });
    }
  });
  const x0 = xe[0] ?? 0;
  const x1 = xe[xe.length - 1] ?? 1;
  const y0 = ye[0] ?? 0;
  const y1 = ye[ye.length - 1] ?? 1;
  const line = [...data.criticalLine]
    .filter((p) => Number.isFinite(p.weightVar) && Number.isFinite(p.biasVar))
    .filter((p) => !log || p.weightVar > 0)
    .map((p) => ({ weightVar: pos(p.weightVar), biasVar: p.biasVar }))
    .sort((a, b) => a.biasVar - b.biasVar);
  const extras: LegendItem[] = [{ label: "critical line χ₁ = 1", color: INK, shape: "line" }];
  if (data.marker)
    extras.push({ label: data.marker.label ?? "this network", color: INK, shape: "dot" });
  if (bad.length > 0) extras.push({ label: "not finite", color: MISSING_COLOR, shape: "cell-x" });
  const marker = data.marker ? [{ ...data.marker, weightVar: pos(data.marker.weightVar) }] : [];
  // A cross in each non-finite cell, sized to the cells (none when they are tiny).
  const crossRadius = (size: { width: number; height: number }) => {
    const w = (size.width - MARGINS.marginLeft - MARGINS.marginRight) / Math.max(1, xs.length);
    const h = (size.height - MARGINS.marginTop - MARGINS.marginBottom) / Math.max(1, ys.length);
    const r = Math.min(6, 0.32 * Math.min(w, h));
    return r >= 2.5 ? r : 0;
  };
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 600,
    header: {
      title: options.title ?? "Phase diagram: gradient growth per layer χ₁",
      subtitle: options.subtitle,
      colorBar: {
        title: "χ₁ (mean squared gradient factor per layer)",
        colors,
        thresholds,
        format: (v) => formatNumber(v, 3),
        lowNote: "← ordered: gradients vanish",
        highNote: "chaotic: gradients explode →",
        extras,
      },
    },
    panels: [
      (size) => ({
        ...MARGINS,
        x: log
          ? {
              ...linearScale(x0, x1, "weight variance σ_w² (log scale)", { grid: false }),
              domain: [x0, x1],
              ticks: logTicks(10 ** x0, 10 ** x1).map(Math.log10),
              tickFormat: (t: number) => formatTick(Number((10 ** t).toPrecision(10))),
            }
          : { ...linearScale(x0, x1, "weight variance σ_w²", { grid: false }), domain: [x0, x1] },
        y: { ...linearScale(y0, y1, "bias variance σ_b²", { grid: false }), domain: [y0, y1] },
        color: { type: "identity" },
        marks: [
          Plot.rect(cells, {
            x1: "x1",
            x2: "x2",
            y1: "y1",
            y2: "y2",
            fill: "fill",
            shapeRendering: "crispEdges",
          }),
          Plot.dot(bad, {
            x: (c: Cell) => (c.x1 + c.x2) / 2,
            y: (c: Cell) => (c.y1 + c.y2) / 2,
            symbol: "times",
            r: crossRadius(size),
            stroke: INK,
            strokeWidth: 1.5,
          }),
          Plot.line(line, { x: "weightVar", y: "biasVar", stroke: "white", strokeWidth: 6 }),
          Plot.line(line, { x: "weightVar", y: "biasVar", stroke: INK, strokeWidth: 2.5 }),
          Plot.dot(marker, {
            x: "weightVar",
            y: "biasVar",
            r: 7,
            fill: INK,
            stroke: "white",
            strokeWidth: 2,
          }),
          Plot.text(marker, {
            x: "weightVar",
            y: "biasVar",
            text: (m: { label?: string }) => m.label ?? "this network",
            ...markerLabelPlacement(marker[0], [x0, x1], [y0, y1]),
            fill: INK,
            fontSize: SMALL_SIZE,
            stroke: "white",
            strokeWidth: 4,
            paintOrder: "stroke",
          }),
          Plot.frame({ stroke: INK, strokeWidth: 0.5 }),
        ],
      }),
    ],
  });
}
