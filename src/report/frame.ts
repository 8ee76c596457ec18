import * as Plot from "@observablehq/plot";
import { fitTicks, MARGINS } from "./axes.ts";
import { type FigureDocument, type FigureElement, serializeSvg, svgElement } from "./dom.ts";
import { formatNumber, textWidth, wrapText } from "./format.ts";
import { INK, MUTED } from "./palette.ts";

/**
 * Figure layout: one outer <svg> holding a white background, the title, an optional subtitle,
 * the legend (series items and/or a quantized colour bar) and one or more Observable Plot
 * panels side by side. Everything is SVG (no <figure>, no <canvas>), so the PNG renderer
 * draws all of it.
 */

/** DejaVu Sans is the font the PNG renderer loads; Verdana has similar metrics in browsers. */
export const FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif";
export const FONT_SIZE = 13;
export const SMALL_SIZE = 12;
export const TITLE_SIZE = 18;
export const DEFAULT_WIDTH = 800;
/** Padding around the header and under the panels. */
export const PAD = 16;
const LINE = 20;
const SYMBOL = 26;

export type LegendShape =
  | "line"
  | "dashed"
  | "dotted"
  | "dot"
  | "line-dot"
  | "rect"
  | "area"
  | "x"
  | "cell-x"
  /** No symbol: a note in the legend. */
  | "none";

export interface LegendItem {
  label: string;
  color: string;
  shape: LegendShape;
}

/** A quantized colour scale: colors[i] covers [thresholds[i-1], thresholds[i]). */
export interface ColorBar {
  title: string;
  colors: readonly string[];
  thresholds: readonly number[];
  format?: (value: number) => string;
  /** Words under the low and high ends of the bar. */
  lowNote?: string;
  highNote?: string;
  /** Extra swatches after the bar (e.g. NaN cells). */
  extras?: readonly LegendItem[];
}

export interface Header {
  title: string;
  subtitle?: string | undefined;
  legend?: readonly LegendItem[];
  colorBar?: ColorBar;
}

/** Plot options for one panel, given its size; document, size and style are filled in. */
export type Panel = (size: { width: number; height: number }) => Plot.PlotOptions;

export interface FigureLayout {
  document: FigureDocument;
  width: number;
  height: number;
  header: Header;
  panels: readonly Panel[];
  /** Relative panel widths (default equal). */
  panelWeights?: readonly number[];
}

/** Shared Plot options: fonts, sizes, and a white background. */
export function plotStyle(): Record<string, string> {
  return {
    fontSize: `${FONT_SIZE}px`,
    fontFamily: FONT_FAMILY,
    background: "white",
    color: INK,
    overflow: "visible",
  };
}

interface Drawn {
  height: number;
  draw(svg: FigureElement, doc: FigureDocument, top: number): void;
}

function legendSymbol(doc: FigureDocument, item: LegendItem, x: number, y: number): FigureElement {
  const g = svgElement(doc, "g", { transform: `translate(${x},${y})` });
  const c = item.color;
  const line = (dash?: string) =>
    svgElement(doc, "line", {
      x1: 0,
      x2: SYMBOL - 4,
      y1: 0,
      y2: 0,
      stroke: c,
      "stroke-width": 2.5,
      "stroke-dasharray": dash,
    });
  const cross = (color: string, size: number, cx: number) => {
    const s = size / 2;
    for (const [a, b] of [
      [-s, -s],
      [-s, s],
    ] as const) {
      g.appendChild(
        svgElement(doc, "line", {
          x1: cx + a,
          y1: b,
          x2: cx - a,
          y2: -b,
          stroke: color,
          "stroke-width": 2,
        }),
      );
    }
  };
  switch (item.shape) {
    case "line":
      g.appendChild(line());
      break;
    case "dashed":
      g.appendChild(line("6 4"));
      break;
    case "dotted":
      g.appendChild(line("2 3"));
      break;
    case "none":
      break;
    case "dot":
      g.appendChild(svgElement(doc, "circle", { cx: 11, cy: 0, r: 4.5, fill: c }));
      break;
    case "line-dot":
      g.appendChild(line());
      g.appendChild(svgElement(doc, "circle", { cx: 11, cy: 0, r: 3.5, fill: c }));
      break;
    case "rect":
      g.appendChild(svgElement(doc, "rect", { x: 2, y: -7, width: 18, height: 14, fill: c }));
      break;
    case "area":
      g.appendChild(
        svgElement(doc, "rect", {
          x: 2,
          y: -7,
          width: 18,
          height: 14,
          fill: c,
          "fill-opacity": 0.3,
          stroke: c,
          "stroke-width": 1.5,
        }),
      );
      break;
    case "x":
      cross(c, 9, 11);
      break;
    case "cell-x":
      g.appendChild(svgElement(doc, "rect", { x: 2, y: -7, width: 18, height: 14, fill: c }));
      cross(INK, 8, 11);
      break;
  }
  return g;
}

function symbolWidth(item: LegendItem): number {
  return item.shape === "none" ? 0 : SYMBOL;
}

function legendItemWidth(item: LegendItem): number {
  return symbolWidth(item) + textWidth(item.label, FONT_SIZE) + 18;
}

/** A legend item's label in lines that fit `max` pixels (with its symbol). */
function legendLines(item: LegendItem, max: number): string[] {
  const room = max - symbolWidth(item) - 18;
  if (textWidth(item.label, FONT_SIZE) <= room) return [item.label];
  const lines = wrapText(item.label, room, FONT_SIZE);
  return lines.length > 0 ? lines : [item.label];
}

/**
 * Series legend flowing left to right, wrapping into rows; an item too long for a row of its
 * own wraps its label onto more lines, so no legend text runs past the figure's edge.
 */
function layoutLegend(items: readonly LegendItem[], width: number): Drawn {
  interface Placed {
    item: LegendItem;
    x: number;
    lines: string[];
  }
  const rows: Placed[][] = [];
  let row: Placed[] = [];
  let x = PAD;
  const max = width - 2 * PAD;
  for (const item of items) {
    const lines = legendLines(item, max);
    const w =
      lines.length > 1
        ? max
        : symbolWidth(item) + Math.max(...lines.map((l) => textWidth(l, FONT_SIZE))) + 18;
    if (row.length > 0 && x + w > width - PAD) {
      rows.push(row);
      row = [];
      x = PAD;
    }
    row.push({ item, x, lines });
    x += w;
  }
  if (row.length > 0) rows.push(row);
  const heights = rows.map((r) => Math.max(...r.map((p) => p.lines.length)) * LINE);
  return {
    height: heights.reduce((s, h) => s + h, 0),
    draw(svg, doc, top) {
      const g = svgElement(doc, "g", { "aria-label": "legend", "font-size": FONT_SIZE });
      let rowTop = top;
      rows.forEach((r, i) => {
        const y = rowTop + LINE / 2;
        for (const { item, x: ix, lines } of r) {
          g.appendChild(legendSymbol(doc, item, ix, y));
          lines.forEach((line, k) => {
            g.appendChild(
              svgElement(
                doc,
                "text",
                {
                  x: ix + symbolWidth(item),
                  y: y + k * LINE + 0.35 * FONT_SIZE,
                  fill: INK,
                  "text-anchor": "start",
                },
                line,
              ),
            );
          });
        }
        rowTop += heights[i]!;
      });
      svg.appendChild(g);
    },
  };
}

/**
 * Quantized colour bar: swatches with the thresholds written under their boundaries, and
 * extra swatches (NaN, ...) beside it, or in a legend row below when they do not fit.
 */
function layoutColorBar(bar: ColorBar, width: number): Drawn {
  const format = bar.format ?? ((v: number) => formatNumber(v));
  const n = bar.colors.length;
  const labels = bar.thresholds.map(format);
  const widest = Math.max(0, ...labels.map((l) => textWidth(l, SMALL_SIZE)));
  const notes =
    (bar.lowNote === undefined ? 0 : textWidth(bar.lowNote, SMALL_SIZE)) +
    (bar.highNote === undefined ? 0 : textWidth(bar.highNote, SMALL_SIZE)) +
    24;
  const full = width - 2 * PAD;
  const swatch = Math.max(14, Math.min(full / n, Math.max(44, widest + 10, notes / n)));
  const barWidth = swatch * n;
  const extrasWidth = (bar.extras ?? []).reduce((s, item) => s + legendItemWidth(item), 0);
  const besides = barWidth + 24 + extrasWidth <= full;
  const extras = besides ? (bar.extras ?? []) : [];
  const below = besides || !bar.extras?.length ? null : layoutLegend(bar.extras, width);
  // Label every k-th boundary so labels never overlap.
  const every = Math.max(1, Math.ceil((widest + 6) / swatch));
  const hasNotes = bar.lowNote !== undefined || bar.highNote !== undefined;
  const titleH = LINE;
  const barH = 14;
  const barBlock = titleH + barH + 18 + (hasNotes ? 17 : 0);
  const height = barBlock + (below ? below.height + 4 : 0);
  return {
    height,
    draw(svg, doc, top) {
      below?.draw(svg, doc, top + barBlock + 4);
      const g = svgElement(doc, "g", { "aria-label": "colour legend", "font-size": SMALL_SIZE });
      g.appendChild(
        svgElement(
          doc,
          "text",
          { x: PAD, y: top + 14, fill: INK, "font-size": FONT_SIZE, "text-anchor": "start" },
          bar.title,
        ),
      );
      const y0 = top + titleH;
      bar.colors.forEach((color, i) => {
        g.appendChild(
          svgElement(doc, "rect", {
            x: PAD + i * swatch,
            y: y0,
            width: swatch + 0.5,
            height: barH,
            fill: color,
          }),
        );
      });
      g.appendChild(
        svgElement(doc, "rect", {
          x: PAD,
          y: y0,
          width: swatch * n,
          height: barH,
          fill: "none",
          stroke: MUTED,
          "stroke-width": 0.5,
        }),
      );
      labels.forEach((label, i) => {
        if ((i + 1) % every !== 0 && labels.length > 1 && i !== 0) return;
        const x = PAD + (i + 1) * swatch;
        g.appendChild(
          svgElement(doc, "line", { x1: x, x2: x, y1: y0, y2: y0 + barH + 4, stroke: INK }),
        );
        g.appendChild(
          svgElement(
            doc,
            "text",
            { x, y: y0 + barH + 16, fill: INK, "text-anchor": "middle" },
            label,
          ),
        );
      });
      if (hasNotes) {
        const yNote = y0 + barH + 32;
        if (bar.lowNote !== undefined) {
          g.appendChild(
            svgElement(
              doc,
              "text",
              { x: PAD, y: yNote, fill: MUTED, "text-anchor": "start" },
              bar.lowNote,
            ),
          );
        }
        if (bar.highNote !== undefined) {
          g.appendChild(
            svgElement(
              doc,
              "text",
              { x: PAD + swatch * n, y: yNote, fill: MUTED, "text-anchor": "end" },
              bar.highNote,
            ),
          );
        }
      }
      let x = PAD + swatch * n + 24;
      for (const item of extras) {
        g.appendChild(legendSymbol(doc, item, x, y0 + barH / 2));
        g.appendChild(
          svgElement(
            doc,
            "text",
            {
              x: x + symbolWidth(item),
              y: y0 + barH / 2 + 0.35 * FONT_SIZE,
              fill: INK,
              "font-size": FONT_SIZE,
              "text-anchor": "start",
            },
            item.label,
          ),
        );
        x += legendItemWidth(item);
      }
      svg.appendChild(g);
    },
  };
}

function layoutHeader(header: Header, width: number): Drawn {
  const parts: Drawn[] = [];
  const titleLines = wrapText(header.title, width - 2 * PAD, TITLE_SIZE * 1.1);
  const subtitleLines =
    header.subtitle === undefined ? [] : wrapText(header.subtitle, width - 2 * PAD, FONT_SIZE);
  parts.push({
    height: PAD / 2 + titleLines.length * 24 + subtitleLines.length * 18 + 4,
    draw(svg, doc, top) {
      titleLines.forEach((line, i) => {
        svg.appendChild(
          svgElement(
            doc,
            "text",
            {
              x: PAD,
              y: top + PAD / 2 + 18 + i * 24,
              "font-size": TITLE_SIZE,
              "font-weight": "bold",
              fill: INK,
              "text-anchor": "start",
            },
            line,
          ),
        );
      });
      subtitleLines.forEach((line, i) => {
        svg.appendChild(
          svgElement(
            doc,
            "text",
            {
              x: PAD,
              y: top + PAD / 2 + titleLines.length * 24 + 14 + i * 18,
              "font-size": FONT_SIZE,
              fill: MUTED,
              "text-anchor": "start",
            },
            line,
          ),
        );
      });
    },
  });
  if (header.legend && header.legend.length > 0) parts.push(layoutLegend(header.legend, width));
  if (header.colorBar) parts.push(layoutColorBar(header.colorBar, width));
  const gap = 6;
  return {
    height: parts.reduce((s, p) => s + p.height + gap, 0),
    draw(svg, doc, top) {
      let y = top;
      for (const p of parts) {
        p.draw(svg, doc, y);
        y += p.height + gap;
      }
    },
  };
}

/** The panel's x and y scales with only as many ticks as fit without overlapping labels. */
function fitPanelTicks(
  options: Plot.PlotOptions,
  size: { width: number; height: number },
): Plot.PlotOptions {
  const left = options.marginLeft ?? MARGINS.marginLeft;
  const right = options.marginRight ?? MARGINS.marginRight;
  const top = options.marginTop ?? MARGINS.marginTop;
  const bottom = options.marginBottom ?? MARGINS.marginBottom;
  const out = { ...options };
  if (options.x) out.x = fitTicks(options.x, size.width - left - right, "x", FONT_SIZE);
  if (options.y) out.y = fitTicks(options.y, size.height - top - bottom, "y", FONT_SIZE);
  return out;
}

/** Smallest panel height; the figure grows rather than squeezing the plot below this. */
const MIN_PANEL_HEIGHT = 160;

/** Lay out and serialize a figure. */
export function composeFigure(layout: FigureLayout): string {
  const { document: doc, width, header, panels } = layout;
  const head = layoutHeader(header, width);
  const panelHeight = Math.max(MIN_PANEL_HEIGHT, layout.height - head.height - PAD / 2);
  const height = Math.round(head.height + panelHeight + PAD / 2);
  const svg = svgElement(doc, "svg", {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    "font-family": FONT_FAMILY,
    "font-size": FONT_SIZE,
    role: "img",
    "aria-label": header.title,
  });
  svg.appendChild(svgElement(doc, "title", {}, header.title));
  svg.appendChild(svgElement(doc, "rect", { x: 0, y: 0, width, height, fill: "white" }));
  head.draw(svg, doc, 0);
  const weights = layout.panelWeights ?? panels.map(() => 1);
  const total = weights.reduce((s, w) => s + w, 0);
  let x = 0;
  panels.forEach((panel, i) => {
    const w = Math.round((width * (weights[i] ?? 1)) / total);
    const size = { width: w, height: Math.round(panelHeight) };
    const options = fitPanelTicks(panel(size), size);
    const plot = Plot.plot({
      ...options,
      ...size,
      // Plot types its option as the DOM's Document; ours is the structural subset it uses.
      document: doc as unknown as Plot.PlotOptions["document"],
      style: plotStyle(),
    }) as unknown as FigureElement;
    // Plot writes font-size="10" and a system-ui family as attributes (its style overrides
    // them in CSS); set them too, so every renderer agrees.
    plot.setAttribute("font-size", String(FONT_SIZE));
    plot.setAttribute("font-family", FONT_FAMILY);
    plot.setAttribute("x", String(x));
    plot.setAttribute("y", String(Math.round(head.height)));
    svg.appendChild(plot);
    x += w;
  });
  return serializeSvg(svg);
}
