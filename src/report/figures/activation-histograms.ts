import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber, formatPercent, textWidth } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem, SMALL_SIZE } from "../frame.ts";
import { finiteExtent, finiteMeanStd, histogram, linearEdges, stepOutline } from "../histogram.ts";
import { INK, layerColor, MUTED } from "../palette.ts";

export interface ActivationLayer {
  layer: number;
  /** Activations phi(u) of this layer (all batch entries). */
  values: Float64Array | Float32Array | readonly number[];
  /** Fraction of entries in the flat, saturated part of phi (the `saturated` metric). */
  saturated: number;
  /** Fraction of units that never pass gradient (the `dead` metric). */
  dead: number;
}

export interface ActivationHistogramOptions extends FigureOptions {
  /** Bins over the common range (default 60). */
  bins?: number;
  /** Range of the x axis (default: the finite range of all values, widened to nice ticks). */
  range?: readonly [number, number];
  /**
   * "overlay": one line per layer on shared axes (makemore's picture, best for a few layers);
   * "stack": one small histogram per layer, top to bottom. Default: overlay up to 6 layers.
   */
  layout?: "overlay" | "stack";
  /** Activation name for the title and axis, e.g. "tanh". */
  activation?: string;
}

/**
 * A share of exact zeros at least this large (ReLU's inactive half) is reported as a number
 * and left out of the histogram, where its spike would flatten everything else.
 */
const ZERO_SPIKE = 0.05;

interface LayerHistogram {
  layer: ActivationLayer;
  /** Density per bin (share of all finite values per unit of x). */
  density: number[];
  peak: number;
  /** Share of exact zeros when reported separately, else null. */
  zeros: number | null;
}

function histogramOf(l: ActivationLayer, edges: readonly number[]): LayerHistogram {
  let finite = 0;
  let zeroCount = 0;
  for (const v of l.values) {
    if (Number.isFinite(v)) finite++;
    if (v === 0) zeroCount++;
  }
  const zeros = finite > 0 && zeroCount / finite >= ZERO_SPIKE ? zeroCount / finite : null;
  const values = zeros === null ? l.values : Array.from(l.values).filter((v) => v !== 0);
  const h = histogram(values, edges);
  const total = Math.max(1, finite);
  const density = h.counts.map((c, i) => c / total / (edges[i + 1]! - edges[i]!));
  return { layer: l, density, peak: Math.max(0, ...density), zeros };
}

function statsLabel(h: LayerHistogram): string {
  const { mean, std } = finiteMeanStd(h.layer.values);
  const zeros = h.zeros === null ? "" : `, zeros ${formatPercent(h.zeros)} (not drawn)`;
  return `mean ${formatNumber(mean, 2)}, std ${formatNumber(std, 2)}, saturated ${formatPercent(h.layer.saturated)}, dead ${formatPercent(h.layer.dead)}${zeros}`;
}

/**
 * Figure 3: the distribution of activations in each layer (after makemore's diagnostic
 * plot), with each layer's mean, std, % saturated and % dead units in the legend. A large
 * share of exact zeros (ReLU) is written as a number instead of drawn as a spike.
 */
export function activationHistograms(
  layers: readonly ActivationLayer[],
  options: ActivationHistogramOptions = {},
): string {
  const bins = options.bins ?? 60;
  const extent = options.range ?? finiteExtent(layers.map((l) => l.values)) ?? [-1, 1];
  const edges = linearEdges(extent[0], extent[1], bins);
  const hists = layers.map((l) => histogramOf(l, edges));
  const peak = Math.max(0, ...hists.map((h) => h.peak));
  const layout = options.layout ?? (layers.length <= 6 ? "overlay" : "stack");
  const act = options.activation ? ` (${options.activation})` : "";
  const title = options.title ?? `Activation distribution by layer${act}`;
  const doc = resolveDocument(options.document);
  const figureWidth = options.width ?? DEFAULT_WIDTH;
  const colorOf = (i: number) => layerColor(i, layers.length);
  const xScale = linearScale(edges[0]!, edges[bins]!, `activation value φ(u)${act}`, {
    grid: false,
    nice: options.range === undefined,
  });
  const centre = (i: number) => (edges[i]! + edges[i + 1]!) / 2;

  if (layout === "overlay") {
    const legend: LegendItem[] = hists.map((h, i) => ({
      label: `layer ${h.layer.layer}: ${statsLabel(h)}`,
      color: colorOf(i),
      shape: "line",
    }));
    return composeFigure({
      document: doc,
      width: figureWidth,
      height: options.height ?? 460 + 20 * layers.length,
      header: { title, subtitle: options.subtitle, legend },
      panels: [
        () => ({
          ...MARGINS,
          x: xScale,
          y: linearScale(0, peak * 1.05, "density", { pad: 0 }),
          marks: [
            ...hists.map((h, i) =>
              Plot.line(
                h.density.map((y, k) => ({ x: centre(k), y })),
                { x: "x", y: "y", stroke: colorOf(i), strokeWidth: 2 },
              ),
            ),
            Plot.ruleY([0], { stroke: INK }),
          ],
        }),
      ],
    });
  }

  // Stack: one row per layer, each scaled to its own peak; stats to the right of each row.
  const rows = hists.flatMap((h, i) =>
    stepOutline(
      edges,
      h.density.map((d) => d / (h.peak || 1)),
    ).map((p) => ({ ...p, layer: h.layer.layer, color: colorOf(i) })),
  );
  const labels = hists.map((h) => ({
    layer: h.layer.layer,
    text: `sat ${formatPercent(h.layer.saturated)} · dead ${formatPercent(h.layer.dead)}${h.zeros === null ? "" : ` · zeros ${formatPercent(h.zeros)}`}`,
  }));
  const rightMargin = Math.max(60, ...labels.map((t) => textWidth(t.text, SMALL_SIZE))) + 16;
  const rowHeight = 34;
  const height = options.height ?? 130 + rowHeight * layers.length + MARGINS.marginBottom;
  const hasZeros = hists.some((h) => h.zeros !== null);
  return composeFigure({
    document: doc,
    width: figureWidth,
    height,
    header: {
      title,
      subtitle:
        options.subtitle ??
        `each row is one layer's histogram, scaled to its own peak${hasZeros ? "; exact zeros counted apart" : ""}`,
    },
    panels: [
      () => ({
        ...MARGINS,
        marginRight: rightMargin,
        x: xScale,
        y: { axis: null, domain: [0, 1.05] },
        fy: {
          label: null,
          domain: layers.map((l) => l.layer),
          tickFormat: (l: number) => `layer ${l}`,
          axis: "left",
          padding: 0.08,
        },
        color: { type: "identity" },
        marks: [
          // y1/y2 rather than y: areaY would otherwise stack the outline's repeated x values.
          Plot.areaY(rows, {
            x: "x",
            y1: 0,
            y2: "y",
            fy: "layer",
            fill: "color",
            fillOpacity: 0.35,
          }),
          Plot.lineY(rows, { x: "x", y: "y", fy: "layer", stroke: "color", strokeWidth: 1.5 }),
          Plot.ruleY([0], { stroke: MUTED }),
          Plot.text(labels, {
            fy: "layer",
            text: "text",
            frameAnchor: "right",
            textAnchor: "start",
            dx: 10,
            fontSize: SMALL_SIZE,
            fill: INK,
          }),
        ],
      }),
    ],
  });
}
