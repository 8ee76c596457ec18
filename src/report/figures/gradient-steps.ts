import * as Plot from "@observablehq/plot";
import { linearScale, logScale, MARGINS, MIN_LOG_DECADES } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem, SMALL_SIZE } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { INK, layerColor, MUTED, NONFINITE_COLOR, ZERO_COLOR } from "../palette.ts";

/** Largest finite float32: a float32 run's values beyond it have overflowed. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export interface GradientStepsData {
  /** Training steps, ascending. */
  steps: readonly number[];
  /** Global L2 norm of all parameter gradients at each step (NaN where not recorded). */
  global: readonly number[];
  /** Per layer: its weight-gradient norm at each step. */
  perLayer: readonly { layer: number; values: readonly number[] }[];
  /** The first step with a NaN/∞ (any quantity), and what it was in, when the run had one. */
  firstNonFinite?: { step: number; what?: string } | null;
}

export interface GradientStepsOptions extends FigureOptions {
  /** Values above this have overflowed (default Number.MAX_VALUE; FLOAT32_MAX for f32 runs). */
  overflowAbove?: number;
  /** Least decades of the log axis (default MIN_LOG_DECADES). */
  minDecades?: number;
}

/** How a value is drawn on the log axis. */
export type ValueKind = "value" | "zero" | "overflow";

/**
 * A gradient norm's kind: overflow for NaN, ±∞ and anything above the float's largest finite
 * value (a norm overflowed, never "underflowed"), zero for exactly 0 (no gradient reached the
 * layer), else a value. Negative values cannot be norms and count as overflow (garbage).
 */
export function valueKind(v: number, overflowAbove = Number.MAX_VALUE): ValueKind {
  if (Number.isNaN(v) || !Number.isFinite(v) || v > overflowAbove || v < 0) return "overflow";
  return v === 0 ? "zero" : "value";
}

/** Layers drawn in the legend: all of up to 10, else about 6 spread from first to last. */
function legendLayers(count: number): number[] {
  if (count <= 10) return Array.from({ length: count }, (_, i) => i);
  const picks = new Set<number>();
  for (let k = 0; k < 6; k++) picks.add(Math.round((k * (count - 1)) / 5));
  return [...picks];
}

/**
 * The global gradient norm (black) and every layer's weight-gradient norm (viridis, input to
 * output) over training steps on a log axis at least four decades tall. Overflowed values
 * (NaN, ∞ or beyond the float's range) are red triangles at the top of the plot, exact zeros
 * grey dots at the bottom, each with a legend entry, and the first step with a non-finite
 * value is a red rule: an explosion is visible even when every hidden layer reads 0.
 */
export function gradientNormOverSteps(
  data: GradientStepsData,
  options: GradientStepsOptions = {},
): string {
  const over = options.overflowAbove ?? Number.MAX_VALUE;
  const count = data.perLayer.length;
  const colors = data.perLayer.map((_, i) => layerColor(i, count));
  const shown = (v: number) => valueKind(v, over) === "value";
  const extent = finiteExtent(
    [data.global, ...data.perLayer.map((l) => l.values)].map((a) => a.filter(shown)),
    true,
  ) ?? [1, 10];
  const y = logScale(
    extent[0],
    extent[1],
    "gradient norm (log scale)",
    8,
    options.minDecades ?? MIN_LOG_DECADES,
  );
  const [floor, ceiling] = y.domain as [number, number];
  const stepExtent = finiteExtent([data.steps]) ?? [0, 1];
  const marks: Plot.Markish[] = [];
  const overflow: { x: number; y: number }[] = [];
  const zeros: { x: number; y: number }[] = [];
  const series = (values: readonly number[]) =>
    data.steps.map((s, k) => {
      const v = values[k] ?? Number.NaN;
      const kind = valueKind(v, over);
      if (kind === "overflow" && k < values.length) overflow.push({ x: s, y: ceiling });
      if (kind === "zero") zeros.push({ x: s, y: floor });
      return { x: s, y: kind === "value" ? v : Number.NaN };
    });
  data.perLayer.forEach((l, i) => {
    marks.push(
      Plot.line(series(l.values), { x: "x", y: "y", stroke: colors[i]!, strokeWidth: 1.3 }),
    );
  });
  const global = series(data.global);
  marks.push(Plot.line(global, { x: "x", y: "y", stroke: INK, strokeWidth: 2.8 }));
  if (global.filter((p) => Number.isFinite(p.y)).length <= 60) {
    marks.push(Plot.dot(global, { x: "x", y: "y", fill: INK, r: 2.5 }));
  }
  if (zeros.length > 0) {
    marks.push(Plot.dot(zeros, { x: "x", y: "y", fill: ZERO_COLOR, stroke: MUTED, r: 3.5 }));
  }
  if (overflow.length > 0) {
    marks.push(
      Plot.dot(overflow, {
        x: "x",
        y: "y",
        symbol: "triangle",
        fill: NONFINITE_COLOR,
        r: 5,
      }),
    );
  }
  const first = data.firstNonFinite ?? null;
  const firstText = first
    ? `first NaN/∞ at step ${first.step}${first.what ? ` (${first.what})` : ""}`
    : "";
  if (first) {
    marks.push(
      Plot.ruleX([first.step], {
        stroke: NONFINITE_COLOR,
        strokeWidth: 1.5,
        strokeDasharray: "5 3",
      }),
      Plot.text([first.step], {
        x: (d: number) => d,
        text: () => firstText,
        frameAnchor: "top",
        textAnchor: "end",
        dx: -6,
        dy: 14,
        fill: NONFINITE_COLOR,
        fontSize: SMALL_SIZE,
        stroke: "white",
        strokeWidth: 4,
        paintOrder: "stroke",
      }),
    );
  }
  const legend: LegendItem[] = [
    { label: "global ‖∇‖ (all parameters)", color: INK, shape: "line" },
    ...legendLayers(count).map((i) => ({
      label: `‖∂L/∂W‖ layer ${data.perLayer[i]!.layer}`,
      color: colors[i]!,
      shape: "line" as const,
    })),
  ];
  if (count > 10) {
    legend.push({
      label: "(colours run from the first to the last layer)",
      color: MUTED,
      shape: "none",
    });
  }
  if (overflow.length > 0) {
    legend.push({
      label: `overflow: NaN, ∞ or > ${formatNumber(over, 2)} (drawn at the top)`,
      color: NONFINITE_COLOR,
      shape: "dot",
    });
  }
  if (zeros.length > 0) {
    legend.push({
      label: "= 0: no gradient reached the layer (at the bottom)",
      color: ZERO_COLOR,
      shape: "dot",
    });
  }
  if (first) legend.push({ label: firstText, color: NONFINITE_COLOR, shape: "dashed" });
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 500,
    header: {
      title: options.title ?? "Gradient norm over training steps",
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({
        ...MARGINS,
        x: linearScale(stepExtent[0], stepExtent[1], "training step", { grid: false }),
        y,
        marks,
      }),
    ],
  });
}
