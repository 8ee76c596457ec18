import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatLogTick } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem, SMALL_SIZE } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { layerColor, MUTED, NONFINITE_COLOR, ZERO_COLOR } from "../palette.ts";

export interface UpdateRatioData {
  /** Training steps, ascending. */
  steps: readonly number[];
  /** Per layer: log10(std(delta W) / std(W)) at each step (the `updateRatio` metric). */
  perLayer: readonly { layer: number; values: readonly number[] }[];
}

export interface UpdateRatioOptions extends FigureOptions {
  /** The guide line, in log10 (default -3: updates a thousandth of the weights). */
  guide?: number;
}

/** Layers shown in the legend: all of up to 10, else about 6 spread from first to last. */
function legendLayers(count: number): number[] {
  if (count <= 10) return Array.from({ length: count }, (_, i) => i);
  const picks = new Set<number>();
  for (let k = 0; k < 6; k++) picks.add(Math.round((k * (count - 1)) / 5));
  return [...picks];
}

/**
 * Figure 4: log10 of the update-to-data ratio of each layer over training steps, with a
 * dashed guide at -3 (Karpathy's rule of thumb: about 1e-3 is a healthy learning rate).
 */
export function updateRatio(data: UpdateRatioData, options: UpdateRatioOptions = {}): string {
  const guide = options.guide ?? -3;
  const count = data.perLayer.length;
  const colors = data.perLayer.map((_, i) => layerColor(i, count));
  const extent = finiteExtent(data.perLayer.map((l) => l.values)) ?? [guide - 1, guide + 1];
  const lo = Math.min(extent[0], guide - 0.5);
  const hi = Math.max(extent[1], guide + 0.5);
  const stepExtent = finiteExtent([data.steps]) ?? [0, 1];
  const legend: LegendItem[] = legendLayers(count).map((i) => ({
    label: `layer ${data.perLayer[i]!.layer}`,
    color: colors[i]!,
    shape: "line",
  }));
  if (count > 10) {
    legend.push({
      label: "(colours run from the first to the last layer)",
      color: MUTED,
      shape: "none",
    });
  }
  // A log ratio of −∞ is an update of exactly zero (no gradient, or lost to rounding); NaN and
  // +∞ are an overflowed update. Both are drawn at the plot's edges, not dropped.
  const zeroUpdates: { x: number; color: string }[] = [];
  const overflowed: { x: number; color: string }[] = [];
  data.perLayer.forEach((l, i) => {
    data.steps.forEach((s, k) => {
      const v = l.values[k];
      if (v === undefined) return;
      if (v === Number.NEGATIVE_INFINITY) zeroUpdates.push({ x: s, color: colors[i]! });
      else if (!Number.isFinite(v)) overflowed.push({ x: s, color: colors[i]! });
    });
  });
  if (zeroUpdates.length > 0)
    legend.push({
      label: "ΔW = 0: the layer did not move (at the bottom)",
      color: ZERO_COLOR,
      shape: "dot",
    });
  if (overflowed.length > 0)
    legend.push({ label: "overflow: NaN or ∞ (at the top)", color: NONFINITE_COLOR, shape: "dot" });
  const guideLabel = formatLogTick(10 ** guide);
  legend.push({
    label: `guide ${guideLabel}${guide === -3 ? ": updates a thousandth of the weights" : ""}`,
    color: MUTED,
    shape: "dashed",
  });
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 500,
    header: {
      title: options.title ?? "Update-to-weight ratio by layer",
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        marginRight: 50,
        x: linearScale(stepExtent[0], stepExtent[1], "training step", { grid: false }),
        y: linearScale(lo, hi, "log₁₀(std ΔW / std W)", { pad: 0.05 }),
        marks: [
          ...data.perLayer.map((l, i) =>
            Plot.line(
              data.steps.map((s, k) => {
                const v = l.values[k] ?? Number.NaN;
                return { x: s, y: Number.isFinite(v) ? v : Number.NaN };
              }),
              { x: "x", y: "y", stroke: colors[i]!, strokeWidth: 1.6 },
            ),
          ),
          Plot.ruleY([guide], { stroke: MUTED, strokeWidth: 2, strokeDasharray: "8 5" }),
          Plot.dot(zeroUpdates, {
            x: "x",
            frameAnchor: "bottom",
            fill: ZERO_COLOR,
            stroke: MUTED,
            r: 3.5,
          }),
          Plot.dot(overflowed, {
            x: "x",
            frameAnchor: "top",
            symbol: "triangle",
            fill: NONFINITE_COLOR,
            r: 5,
          }),
          Plot.text([guide], {
            y: (d: number) => d,
            text: () => guideLabel,
            frameAnchor: "right",
            textAnchor: "start",
            dx: 6,
            fill: MUTED,
            fontSize: SMALL_SIZE,
          }),
        ],
      }),
    ],
  });
}
