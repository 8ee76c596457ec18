import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber, textWidth } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, SMALL_SIZE } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { categorical, HEALTHY_FILL, INK, MUTED } from "../palette.ts";

/** A stretch of inputs; null marks an end beyond the drawn range (unbounded there). */
export interface HealthyInterval {
  lo: number | null;
  hi: number | null;
}

/** Points of φ and φ′ for the figure. */
export interface ActivationSample {
  x: number;
  value: number;
  derivative: number;
}

/**
 * φ and φ′ sampled densely on [from, to] (`count` even points, default 1601: a step of 0.01
 * on -8..8) plus every breakpoint b inside it twice, at b from the left (a point a hair below)
 * and at b itself, so a kink is a corner, a step of φ′ is a vertical jump, and a smooth peak is
 * not a polygon.
 */
export function sampleActivation(
  fn: { value(x: number): number; derivative(x: number): number },
  from: number,
  to: number,
  breakpoints: readonly number[] = [],
  count = 1601,
): ActivationSample[] {
  const xs: number[] = [];
  if (!(to > from)) xs.push(from);
  else
    for (let i = 0; i < count; i++)
      xs.push(i === count - 1 ? to : from + ((to - from) * i) / (count - 1));
  const eps = (to - from || 1) * 1e-9;
  for (const b of breakpoints) {
    if (b > from && b < to) xs.push(b - eps, b);
    else if (b === from || b === to) xs.push(b);
  }
  return [...new Set(xs)]
    .sort((a, b) => a - b)
    .map((x) => ({ x, value: fn.value(x), derivative: fn.derivative(x) }));
}

/**
 * Where |φ′(x)| >= fraction * max |φ′| over the samples: the inputs that pass a gradient of
 * either sign (GELU's and swish's negative lobes pass gradient too). Ends between two samples
 * are found by bisection on `derivative` when given, else by linear interpolation of |φ′|;
 * an interval that reaches the first or last sample is open there (null).
 */
export function healthyIntervals(
  points: readonly ActivationSample[],
  fraction: number,
  derivative?: (x: number) => number,
): { intervals: HealthyInterval[]; maxAbs: number; threshold: number } {
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.derivative));
  let maxAbs = 0;
  for (const p of pts) maxAbs = Math.max(maxAbs, Math.abs(p.derivative));
  const threshold = fraction * maxAbs;
  const ok = (d: number) => Math.abs(d) >= threshold && maxAbs > 0;
  const cross = (a: ActivationSample, b: ActivationSample): number => {
    if (derivative) {
      // bisection keeps ok(lo) === ok(a)
      let lo = a.x;
      let hi = b.x;
      const side = ok(a.derivative);
      for (let k = 0; k < 60 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo)); k++) {
        const m = 0.5 * (lo + hi);
        if (ok(derivative(m)) === side) lo = m;
        else hi = m;
      }
      return 0.5 * (lo + hi);
    }
    const da = Math.abs(a.derivative);
    const db = Math.abs(b.derivative);
    if (da === db) return 0.5 * (a.x + b.x);
    return a.x + ((threshold - da) / (db - da)) * (b.x - a.x);
  };
  const intervals: HealthyInterval[] = [];
  let open: HealthyInterval | null = null;
  pts.forEach((p, i) => {
    const good = ok(p.derivative);
    if (good && !open) {
      open = { lo: i === 0 ? null : cross(pts[i - 1]!, p), hi: null };
    } else if (!good && open) {
      open.hi = cross(pts[i - 1]!, p);
      intervals.push(open);
      open = null;
    }
  });
  if (open) intervals.push(open);
  return { intervals, maxAbs, threshold };
}

export interface ActivationFigureData {
  name: string;
  points: readonly { x: number; value: number; derivative: number }[];
  /**
   * The table's region (kept for callers); the figure shades where |φ′(x)| >= 1% of max |φ′|
   * over the points, which it computes itself (healthyIntervals).
   */
  healthyRegion: { lo: number | null; hi: number | null };
  /** The fraction defining the region (default 0.01), for the labels. */
  fraction?: number;
  /**
   * Bounded activations: where the output stays more than 1% of its range from both bounds
   * (activationTable's `unsaturatedOutput`); drawn as dotted rules in the value panel.
   */
  unsaturatedOutput?: { lo: number | null; hi: number | null } | null;
  /** φ′ itself: the ends of the healthy stretches are then found by bisection. */
  derivative?: (x: number) => number;
}

const VALUE = categorical(0);
const DERIVATIVE = categorical(1);

function intervalText(r: HealthyInterval): string {
  return `${r.lo === null ? "−∞" : formatNumber(r.lo, 3)} < x < ${r.hi === null ? "+∞" : formatNumber(r.hi, 3)}`;
}

/**
 * Figure 6: an activation function (left) and its derivative (right) with the healthy region,
 * where |φ′| is at least 1% of its maximum, shaded in both panels (several stretches when
 * |φ′| dips below the threshold between them, as GELU's does where φ′ changes sign).
 */
export function activationFigure(data: ActivationFigureData, options: FigureOptions = {}): string {
  const fraction = data.fraction ?? 0.01;
  const pts = data.points.filter((p) => Number.isFinite(p.x));
  const [x0, x1] = finiteExtent([pts.map((p) => p.x)]) ?? [-1, 1];
  const { intervals, maxAbs, threshold } = healthyIntervals(pts, fraction, data.derivative);
  const pct = `${formatNumber(fraction * 100)}%`;
  const x = linearScale(x0, x1, "input x", { grid: false });
  const region = intervals.map((r) => ({ lo: r.lo ?? x0, hi: r.hi ?? x1 }));
  const shade = Plot.rect(region, { x1: "lo", x2: "hi", fill: HEALTHY_FILL, fillOpacity: 0.14 });
  // The finite ends of the stretches: a dashed rule in both panels, labelled with its x in the
  // derivative panel (staggered in height when there are several), outside the stretch where
  // there is room, else inside; a white halo keeps the label readable over a curve.
  const ends = intervals
    .flatMap((r) => [
      { x: r.lo, side: -1 },
      { x: r.hi, side: 1 },
    ])
    .filter((e): e is { x: number; side: number } => e.x !== null && e.x >= x0 && e.x <= x1)
    .map((e, i) => ({ ...e, i, text: `x = ${formatNumber(e.x, 3)}` }));
  const endRules = Plot.ruleX(ends, {
    x: "x",
    stroke: HEALTHY_FILL,
    strokeWidth: 1.5,
    strokeDasharray: "4 3",
  });
  const endLabels = (panelWidth: number) => {
    const plotW = panelWidth - MARGINS.marginLeft - MARGINS.marginRight;
    const px = (v: number) => ((v - x0) / (x1 - x0 || 1)) * plotW;
    return ends.map((e) => {
      const room = e.side < 0 ? px(e.x) : plotW - px(e.x);
      const outside = room >= textWidth(e.text, SMALL_SIZE) + 10;
      const dir = outside ? e.side : -e.side;
      return Plot.text([e], {
        x: "x",
        text: "text",
        frameAnchor: "middle",
        textAnchor: dir < 0 ? "end" : "start",
        dx: 6 * dir,
        dy: ends.length > 2 ? (e.i - (ends.length - 1) / 2) * 18 : 0,
        fill: INK,
        fontSize: SMALL_SIZE,
        stroke: "white",
        strokeWidth: 4,
        paintOrder: "stroke",
      });
    });
  };
  const band = data.unsaturatedOutput
    ? [data.unsaturatedOutput.lo, data.unsaturatedOutput.hi].filter(
        (e): e is number => e !== null && e >= x0 && e <= x1,
      )
    : [];
  const bandRules = Plot.ruleX(band, {
    x: (e: number) => e,
    stroke: VALUE,
    strokeWidth: 1.5,
    strokeDasharray: "2 3",
  });
  const regionText =
    intervals.length === 0
      ? "nowhere"
      : intervals.length === 1 && intervals[0]!.lo === null && intervals[0]!.hi === null
        ? "everywhere"
        : intervals.map(intervalText).join(" and ");
  const valueExtent = finiteExtent([pts.map((p) => p.value)]) ?? [0, 1];
  const derivExtent = finiteExtent([pts.map((p) => p.derivative)]) ?? [0, 1];
  const negative = derivExtent[0] < -threshold;
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 420,
    header: {
      title: options.title ?? `${data.name}: value and derivative`,
      subtitle: options.subtitle ?? `healthy region: ${regionText}`,
      legend: [
        { label: "φ(x)", color: VALUE, shape: "line" },
        { label: "φ′(x)", color: DERIVATIVE, shape: "line" },
        {
          label: `healthy: |φ′(x)| ≥ ${pct} of max |φ′| = ${formatNumber(maxAbs)}`,
          color: HEALTHY_FILL,
          shape: "area",
        },
        { label: `${negative ? "±" : ""}${pct} of max |φ′|`, color: MUTED, shape: "dashed" },
        ...(band.length > 0
          ? [
              {
                label: "beyond the dotted lines, φ(x) is within 1% of its bounds",
                color: VALUE,
                shape: "dotted" as const,
              },
            ]
          : []),
      ],
    },
    panels: [
      () => ({
        ...MARGINS,
        x,
        y: linearScale(valueExtent[0], valueExtent[1], "φ(x)", { pad: 0.05 }),
        marks: [
          shade,
          endRules,
          bandRules,
          Plot.ruleY([0], { stroke: MUTED }),
          Plot.line(pts, { x: "x", y: "value", stroke: VALUE, strokeWidth: 2.5 }),
        ],
      }),
      (size) => ({
        ...MARGINS,
        x,
        y: linearScale(Math.min(0, derivExtent[0]), derivExtent[1], "φ′(x)", { pad: 0.05 }),
        marks: [
          shade,
          endRules,
          Plot.ruleY([0], { stroke: MUTED }),
          Plot.ruleY(negative ? [threshold, -threshold] : [threshold], {
            stroke: MUTED,
            strokeDasharray: "6 4",
            strokeWidth: 1.5,
          }),
          Plot.line(pts, { x: "x", y: "derivative", stroke: DERIVATIVE, strokeWidth: 2.5 }),
          ...endLabels(size.width),
        ],
      }),
    ],
  });
}
