import * as Plot from "@observablehq/plot";
import { linearScale, MARGINS } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { formatNumber, textWidth } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, SMALL_SIZE } from "../frame.ts";
import { finiteExtent } from "../histogram.ts";
import { categorical, HEALTHY_FILL, INK, MUTED } from "../palette.ts";

export interface ActivationFigureData {
  name: string;
  points: readonly { x: number; value: number; derivative: number }[];
  /** Where phi'(x) >= 1% of its maximum; null marks an unbounded end. */
  healthyRegion: { lo: number | null; hi: number | null };
  /** The fraction defining the region (default 0.01), for the labels. */
  fraction?: number;
  /**
   * Bounded activations: where the output stays more than 1% of its range from both bounds
   * (activationTable's `unsaturatedOutput`); drawn as dotted rules in the value panel.
   */
  unsaturatedOutput?: { lo: number | null; hi: number | null } | null;
}

const VALUE = categorical(0);
const DERIVATIVE = categorical(1);

/**
 * Figure 6: an activation function (left) and its derivative (right) with the healthy region,
 * where the derivative is at least 1% of its maximum, shaded in both panels.
 */
export function activationFigure(data: ActivationFigureData, options: FigureOptions = {}): string {
  const fraction = data.fraction ?? 0.01;
  const pts = data.points.filter((p) => Number.isFinite(p.x));
  const [x0, x1] = finiteExtent([pts.map((p) => p.x)]) ?? [-1, 1];
  const lo = data.healthyRegion.lo === null ? x0 : Math.max(x0, data.healthyRegion.lo);
  const hi = data.healthyRegion.hi === null ? x1 : Math.min(x1, data.healthyRegion.hi);
  const maxDerivative = finiteExtent([pts.map((p) => p.derivative)])?.[1] ?? 1;
  const threshold = fraction * maxDerivative;
  const pct = `${formatNumber(fraction * 100)}%`;
  const x = linearScale(x0, x1, "input x", { grid: false });
  const region = hi > lo ? [{ lo, hi }] : [];
  const shade = Plot.rect(region, { x1: "lo", x2: "hi", fill: HEALTHY_FILL, fillOpacity: 0.14 });
  // The finite ends of the region: a dashed rule in both panels, labelled with its x half-way
  // up the derivative panel, outside the region where there is room (the curve of interest
  // is inside), else inside; a white halo keeps the label readable over a curve.
  const ends = [
    { x: data.healthyRegion.lo, side: -1 },
    { x: data.healthyRegion.hi, side: 1 },
  ]
    .filter((e): e is { x: number; side: number } => e.x !== null && e.x >= x0 && e.x <= x1)
    .map((e) => ({ ...e, text: `x = ${formatNumber(e.x, 3)}` }));
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
    data.healthyRegion.lo === null && data.healthyRegion.hi === null
      ? "everywhere"
      : `${data.healthyRegion.lo === null ? "−∞" : formatNumber(data.healthyRegion.lo, 3)} < x < ${data.healthyRegion.hi === null ? "+∞" : formatNumber(data.healthyRegion.hi, 3)}`;
  const valueExtent = finiteExtent([pts.map((p) => p.value)]) ?? [0, 1];
  const derivExtent = finiteExtent([pts.map((p) => p.derivative)]) ?? [0, 1];
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
          label: `healthy: φ′(x) ≥ ${pct} of max φ′ = ${formatNumber(maxDerivative)}`,
          color: HEALTHY_FILL,
          shape: "area",
        },
        { label: `${pct} of max φ′`, color: MUTED, shape: "dashed" },
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
          Plot.ruleY([threshold], { stroke: MUTED, strokeDasharray: "6 4", strokeWidth: 1.5 }),
          Plot.line(pts, { x: "x", y: "derivative", stroke: DERIVATIVE, strokeWidth: 2.5 }),
          ...endLabels(size.width),
        ],
      }),
    ],
  });
}
