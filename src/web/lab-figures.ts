/**
 * The lab's own figures, drawn in the figure worker with src/report's layout and axes but
 * with domains the page chooses: fixed (story pages) or remembered over a visit (scales.ts),
 * so a slider moves the line and not the axis. Plain data in, SVG out.
 */
import * as Plot from "@observablehq/plot";
import { layerScale, logScale, MARGINS } from "../report/axes.ts";
import type { FigureDocument } from "../report/dom.ts";
import { cellEdges } from "../report/figures/gradient-heatmap.ts";
import { formatTick } from "../report/format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../report/frame.ts";
import { INK, MUTED, NONFINITE_COLOR, sample, viridis, ZERO_COLOR } from "../report/palette.ts";
import { binIndex } from "../report/quantize.ts";
import { logSeriesMarks, type Series } from "../report/series.ts";

export interface PanelSeries {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
  dots?: boolean;
}

/** One panel: lines on a log y axis with fixed domains. */
export interface LinePanel {
  /** Drawn at the panel's top left. */
  title: string;
  xLabel: string;
  yLabel: string;
  /** Integer positions (layers, time steps, blocks). */
  xDomain: [number, number];
  /** Log axis, whole decades: [10^a, 10^b]. */
  yDomain: [number, number];
  series: PanelSeries[];
  /** A line of text in the middle of the panel (e.g. why nothing is drawn). */
  note?: string;
}

export interface LinePanelsData {
  title: string;
  subtitle?: string;
  legend: LegendItem[];
  panels: LinePanel[];
}

/** Panels side by side (stacked when `stack`), each a set of lines on its own fixed axes. */
export function linePanels(
  data: LinePanelsData,
  options: { document: FigureDocument; width?: number; height?: number },
): string {
  let offScale = 0;
  const panels = data.panels.map((p) => {
    const series: Series[] = p.series.map((s) => ({
      label: s.label,
      color: s.color,
      points: s.points,
      ...(s.dashed ? { dashed: true } : {}),
      ...(s.dots !== undefined ? { dots: s.dots } : {}),
    }));
    const { marks, offScale: off } = logSeriesMarks(series, p.yDomain[0]);
    offScale += off;
    return () => {
      const extra: Plot.Markish[] = [];
      if (p.title) {
        extra.push(
          Plot.text([p.title], {
            frameAnchor: "top-left",
            dx: 0,
            dy: -24,
            text: (d: string) => d,
            fontWeight: "bold",
            fill: INK,
            lineAnchor: "top",
          }),
        );
      }
      if (p.note) {
        extra.push(
          Plot.text([p.note], {
            frameAnchor: "middle",
            text: (d: string) => d,
            fill: NONFINITE_COLOR,
            lineWidth: 22,
          }),
        );
      }
      return {
        ...MARGINS,
        marginTop: p.title ? 30 : MARGINS.marginTop,
        clip: true,
        x: layerScale(p.xDomain[0], p.xDomain[1], p.xLabel),
        y: { ...logScale(p.yDomain[0], p.yDomain[1], p.yLabel), domain: p.yDomain },
        marks: [...marks, ...extra],
      };
    };
  });
  const legend = [...data.legend];
  if (offScale > 0) {
    legend.push({
      label: "0, NaN or ∞: marked on the axis, no line",
      color: NONFINITE_COLOR,
      shape: "x",
    });
  }
  const width = options.width ?? DEFAULT_WIDTH;
  const height = options.height ?? 420;
  if (panels.length > 1 && width < NARROW) {
    // A phone: the panels one under the other, each full width (side by side they would be
    // a few dozen pixels wide).
    const parts = panels.map((panel, i) =>
      composeFigure({
        document: options.document,
        width,
        height: i === 0 ? height : Math.round(height * 0.75),
        header:
          i === 0
            ? { title: data.title, subtitle: data.subtitle, legend }
            : { title: data.panels[i]!.title || data.title },
        panels: [panel],
      }),
    );
    return stackSvgs(parts, width);
  }
  return composeFigure({
    document: options.document,
    width,
    height,
    header: { title: data.title, subtitle: data.subtitle, legend },
    panels,
  });
}

/** Below this width (px) a figure's panels are stacked instead of side by side. */
export const NARROW = 560;

/** Standalone SVGs one under another, nested in one outer SVG (still one valid file). */
export function stackSvgs(parts: readonly string[], width: number): string {
  let y = 0;
  const inner: string[] = [];
  for (const part of parts) {
    const h = Number(/^<svg[^>]*?\sheight="([\d.]+)"/.exec(part)?.[1] ?? 0);
    inner.push(part.replace(/^<svg/, `<svg y="${y}"`));
    y += h;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">${inner.join("")}</svg>`;
}

export interface FixedHeatmapData {
  steps: readonly number[];
  layers: number;
  /** values[stepIndex][layer - 1] (not logs). */
  values: readonly (readonly number[])[];
  /** Colour range in decades [e0, e1]: the same for every figure that shares it. */
  decades: [number, number];
  valueLabel: string;
  title: string;
  subtitle?: string;
}

/** log10 of a gradient norm over (step, layer) on a colour scale of fixed whole decades. */
export function fixedHeatmap(
  data: FixedHeatmapData,
  options: { document: FigureDocument; width?: number; height?: number },
): string {
  const [e0, e1] = data.decades;
  const span = Math.max(1, e1 - e0);
  // About 8-12 colours: quarter or half decades on a short range, whole decades (or more) on a long one.
  const stride = span <= 3 ? 0.25 : span <= 6 ? 0.5 : Math.max(1, Math.ceil(span / 10));
  const thresholds: number[] = [];
  for (let k = 1; e0 + k * stride < e1 - 1e-9; k++) thresholds.push(e0 + k * stride);
  const colors = sample(viridis, thresholds.length + 1);
  const edges = cellEdges(data.steps);
  type Cell = { x1: number; x2: number; layer: number; fill: string; bad: boolean };
  const cells: Cell[] = [];
  let zeros = 0;
  let bad = 0;
  for (let l = 1; l <= data.layers; l++) {
    let run: Cell | null = null;
    for (let i = 0; i < data.steps.length; i++) {
      const v = data.values[i]?.[l - 1] ?? Number.NaN;
      let fill: string;
      let isBad = false;
      if (Number.isFinite(v) && v > 0) fill = colors[binIndex(Math.log10(v), thresholds)]!;
      else if (v === 0) {
        fill = ZERO_COLOR;
        zeros++;
      } else {
        fill = NONFINITE_COLOR;
        isBad = true;
        bad++;
      }
      if (run && run.fill === fill && !isBad) run.x2 = edges[i + 1]!;
      else {
        run = { x1: edges[i]!, x2: edges[i + 1]!, layer: l, fill, bad: isBad };
        cells.push(run);
      }
    }
  }
  const extras: LegendItem[] = [];
  if (zeros > 0) extras.push({ label: "= 0 (underflow)", color: ZERO_COLOR, shape: "rect" });
  if (bad > 0) extras.push({ label: "NaN or ∞", color: NONFINITE_COLOR, shape: "rect" });
  const x0 = edges[0] ?? 0;
  const x1 = edges[edges.length - 1] ?? 1;
  return composeFigure({
    document: options.document,
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 400,
    header: {
      title: data.title,
      subtitle: data.subtitle,
      colorBar: {
        title: `log₁₀ ${data.valueLabel} (colours fixed for this visit)`,
        colors,
        thresholds,
        format: formatTick,
        extras,
      },
    },
    panels: [
      () => ({
        ...MARGINS,
        x: {
          type: "linear",
          domain: [x0, x1],
          label: "training step",
          labelAnchor: "center",
          labelArrow: "none",
          tickFormat: formatTick,
        },
        y: layerScale(1, Math.max(1, data.layers), "layer (1 = input side)", 0.5),
        color: { type: "identity" },
        marks: [
          Plot.rect(cells, {
            x1: "x1",
            x2: "x2",
            y1: (c: Cell) => c.layer - 0.5,
            y2: (c: Cell) => c.layer + 0.5,
            fill: "fill",
            inset: 0,
            shapeRendering: "crispEdges",
          }),
          Plot.frame({ stroke: MUTED, strokeWidth: 0.5 }),
        ],
      }),
    ],
  });
}
