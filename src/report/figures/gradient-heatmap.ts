import * as Plot from "@observablehq/plot";
import { layerScale, linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber, formatTick } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { INK, NONFINITE_COLOR, sample, viridis, ZERO_COLOR } from "../palette.ts";
import { binIndex, niceThresholds } from "../quantize.ts";

export interface GradientHeatmapData {
  /** Training steps, ascending. */
  steps: readonly number[];
  /** Number of layers L. */
  layers: number;
  /** values[stepIndex][layer - 1]: a gradient norm (not its log). */
  values: readonly (readonly number[])[];
}

export interface GradientHeatmapOptions extends FigureOptions {
  /** What the values are, for the colour legend (default "‖∂L/∂W‖"). */
  valueLabel?: string;
  /** Most colour bins (default 10). */
  maxBins?: number;
  /**
   * The colour range in log10 of the values, e.g. shared by heatmaps that are compared
   * (heatmapLogDomain over all of them); default the range of this heatmap's values. Values
   * beyond it take the end colours.
   */
  colorDomain?: readonly [number, number];
  /** Values above this have overflowed (default Number.MAX_VALUE; FLOAT32_MAX for f32). */
  overflowAbove?: number;
  /** The first step with a NaN/∞ anywhere in the run: marked by a red rule. */
  firstNonFinite?: number | null;
}

/**
 * One log10 colour range for several heatmaps that are compared (variants of a comparison,
 * A and B): the extent of their positive, finite, non-overflowed values.
 */
export function heatmapLogDomain(
  sets: readonly (readonly (readonly number[])[])[],
  overflowAbove = Number.MAX_VALUE,
): [number, number] | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const rows of sets)
    for (const row of rows)
      for (const v of row) {
        if (!(v > 0) || !Number.isFinite(v) || v > overflowAbove) continue;
        const lg = Math.log10(v);
        lo = Math.min(lo, lg);
        hi = Math.max(hi, lg);
      }
  return lo <= hi ? [lo, hi] : null;
}

type Kind = "value" | "zero" | "overflow";

interface Cell {
  x1: number;
  x2: number;
  layer: number;
  kind: Kind;
  fill: string;
}

/** Cell edges for points at `xs`: midpoints between neighbours, half a gap beyond the ends. */
export function cellEdges(xs: readonly number[]): number[] {
  const n = xs.length;
  if (n === 0) return [];
  if (n === 1) return [xs[0]! - 0.5, xs[0]! + 0.5];
  const edges = [xs[0]! - (xs[1]! - xs[0]!) / 2];
  for (let i = 0; i + 1 < n; i++) edges.push((xs[i]! + xs[i + 1]!) / 2);
  edges.push(xs[n - 1]! + (xs[n - 1]! - xs[n - 2]!) / 2);
  return edges;
}

/**
 * Figure 2: log10 of a gradient norm over layer (y) and training step (x), quantized into
 * at most 10 colours. Zero cells (an underflow on a log scale) are grey, NaN/Inf cells red
 * with a cross, each with its own legend entry.
 */
export function gradientHeatmap(
  data: GradientHeatmapData,
  options: GradientHeatmapOptions = {},
): string {
  const { steps, layers } = data;
  const valueLabel = options.valueLabel ?? "‖∂L/∂W‖";
  const edges = cellEdges(steps);
  const over = options.overflowAbove ?? Number.MAX_VALUE;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const logs: number[][] = steps.map((_, i) =>
    Array.from({ length: layers }, (_, l) => {
      const v = data.values[i]?.[l] ?? Number.NaN;
      const lg = Number.isFinite(v) && v > 0 && v <= over ? Math.log10(v) : Number.NaN;
      if (Number.isFinite(lg)) {
        lo = Math.min(lo, lg);
        hi = Math.max(hi, lg);
      }
      return lg;
    }),
  );
  if (options.colorDomain && options.colorDomain[0] <= options.colorDomain[1]) {
    [lo, hi] = options.colorDomain;
  }
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  const thresholds = niceThresholds(lo, hi, options.maxBins ?? 10);
  const colors = sample(viridis, thresholds.length + 1);
  // One rect per run of equal colour along the steps of a layer (NaN cells stay single, for
  // their crosses): thousands of steps then cost a few hundred rects.
  const cells: Cell[] = [];
  let zeros = 0;
  let overflow = 0;
  for (let l = 1; l <= layers; l++) {
    let run: Cell | null = null;
    steps.forEach((_, i) => {
      const v = data.values[i]?.[l - 1] ?? Number.NaN;
      const lg = logs[i]![l - 1]!;
      let kind: Kind = "value";
      let fill: string;
      if (Number.isFinite(lg)) {
        fill = colors[binIndex(lg, thresholds)]!;
      } else if (v === 0) {
        kind = "zero";
        fill = ZERO_COLOR;
        zeros++;
      } else {
        // NaN, ∞ or beyond the float's range: overflow, never drawn as underflow.
        kind = "overflow";
        fill = NONFINITE_COLOR;
        overflow++;
      }
      if (run && run.fill === fill && kind !== "overflow") {
        run.x2 = edges[i + 1]!;
      } else {
        run = { x1: edges[i]!, x2: edges[i + 1]!, layer: l, kind, fill };
        cells.push(run);
      }
    });
  }
  const extras: LegendItem[] = [];
  if (zeros > 0)
    extras.push({
      label: "= 0 (no gradient: underflow or φ′ = 0)",
      color: ZERO_COLOR,
      shape: "rect",
    });
  if (overflow > 0)
    extras.push({
      label: `overflow (NaN, ∞${over < Number.MAX_VALUE ? ` or > ${formatNumber(over, 2)}` : ""})`,
      color: NONFINITE_COLOR,
      shape: "cell-x",
    });
  const first = options.firstNonFinite ?? null;
  if (first !== null)
    extras.push({ label: `first NaN/∞: step ${first}`, color: NONFINITE_COLOR, shape: "dashed" });
  const x0 = edges[0] ?? 0;
  const x1 = edges[edges.length - 1] ?? 1;
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 500,
    header: {
      title: options.title ?? `Gradient norm ${valueLabel} by layer and training step`,
      subtitle: options.subtitle,
      colorBar: { title: `log₁₀ ${valueLabel}`, colors, thresholds, format: formatTick, extras },
    },
    panels: [
      (size) => {
        const bad = cells.filter((c) => c.kind === "overflow");
        const plotW = size.width - MARGINS.marginLeft - MARGINS.marginRight;
        const plotH = size.height - MARGINS.marginTop - MARGINS.marginBottom;
        // A cross in each NaN cell, sized to the cell (none when cells are too small).
        const cellW = plotW / Math.max(1, steps.length);
        const cellH = plotH / Math.max(1, layers);
        const r = Math.min(7, 0.32 * Math.min(cellW, cellH));
        const marks: Plot.Markish[] = [
          Plot.rect(cells, {
            x1: "x1",
            x2: "x2",
            y1: (c: Cell) => c.layer - 0.5,
            y2: (c: Cell) => c.layer + 0.5,
            fill: "fill",
            inset: 0,
            shapeRendering: "crispEdges",
          }),
        ];
        if (r >= 2.5 && bad.length > 0) {
          marks.push(
            Plot.dot(bad, {
              x: (c: Cell) => (c.x1 + c.x2) / 2,
              y: "layer",
              symbol: "times",
              r,
              stroke: INK,
              strokeWidth: 1.5,
            }),
          );
        }
        if (first !== null) {
          marks.push(
            Plot.ruleX([first], {
              stroke: NONFINITE_COLOR,
              strokeWidth: 2,
              strokeDasharray: "5 3",
            }),
          );
        }
        return {
          ...MARGINS,
          x: { ...linearScale(x0, x1, "training step", { grid: false }), domain: [x0, x1] },
          y: layerScale(1, Math.max(1, layers), "layer (1 = input side)", 0.5),
          color: { type: "identity" },
          marks,
        };
      },
    ],
  });
}
