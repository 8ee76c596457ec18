/**
 * The scaling figure for docs/PERFORMANCE.md: ms per training step against depth, width and
 * batch, each varied alone around W (depth 20, width 256, batch 128, f32), on log-log axes
 * with dashed lines through W for the naive expectations (cost ∝ depth, ∝ width², ∝ batch),
 * so the reader sees where the measurement departs from them. Also prints the points as a
 * markdown table with their ratio to W.
 *
 *   npx tsx bench/scaling-figure.ts [results.json] [out.png]
 *     (defaults bench/results.json, docs/figures/scaling.png; the input is what
 *      `npm run bench -- --scaling` writes)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import * as Plot from "@observablehq/plot";
import { MARGINS } from "../src/report/axes.ts";
import type { FigureDocument } from "../src/report/dom.ts";
import { formatNumber, formatTick } from "../src/report/format.ts";
import { composeFigure, type LegendItem, SMALL_SIZE } from "../src/report/frame.ts";
import { nodeDocument } from "../src/report/node-dom.ts";
import { categorical, INK, MUTED } from "../src/report/palette.ts";
import { svgToPng } from "../src/report/png.ts";

export type Dtype = "f32" | "f64";
export type Param = "depth" | "width" | "batch";
export const PARAMS: readonly Param[] = ["depth", "width", "batch"];

export interface Config {
  depth: number;
  width: number;
  batch: number;
  dtype: Dtype;
}

export interface ScalingPoint extends Config {
  msPerStep: number;
}

/** The W workload: every series passes through it. */
export const BASE: Readonly<Config> = { depth: 20, width: 256, batch: 128, dtype: "f32" };

/**
 * Naive cost exponents: the matrix products dominate a step and cost depth · batch · width²
 * multiply-adds, so ms/step ∝ depth, ∝ batch and ∝ width².
 */
export const NAIVE_EXPONENT: Readonly<Record<Param, number>> = { depth: 1, width: 2, batch: 1 };

/** An input the figure cannot be drawn from; main prints its message on one line. */
export class ScalingInputError extends Error {}

/** "depth 20 width 256 batch 128 f32" → its configuration; null for anything else. */
export function parseSpec(spec: string): Config | null {
  const m = /^\s*depth (\d+) width (\d+) batch (\d+) (f32|f64)\s*$/.exec(spec);
  if (!m) return null;
  return { depth: Number(m[1]), width: Number(m[2]), batch: Number(m[3]), dtype: m[4] as Dtype };
}

/**
 * The points of a results.json object's `scaling` array (throws ScalingInputError when there
 * is none). Entries whose spec does not parse or whose time is not positive are skipped;
 * msPerStep falls back to 1000 / stepsPerSec.
 */
export function parseScaling(results: unknown): ScalingPoint[] {
  const raw = (results as { scaling?: unknown } | null)?.scaling;
  if (!Array.isArray(raw)) {
    throw new ScalingInputError("has no `scaling` array (run `npm run bench -- --scaling`)");
  }
  const points: ScalingPoint[] = [];
  for (const entry of raw as unknown[]) {
    const e = entry as { spec?: unknown; msPerStep?: unknown; stepsPerSec?: unknown } | null;
    const config = typeof e?.spec === "string" ? parseSpec(e.spec) : null;
    const ms =
      typeof e?.msPerStep === "number"
        ? e.msPerStep
        : typeof e?.stepsPerSec === "number"
          ? 1000 / e.stepsPerSec
          : Number.NaN;
    if (config && Number.isFinite(ms) && ms > 0) points.push({ ...config, msPerStep: ms });
  }
  return points;
}

export interface SeriesPoint {
  value: number;
  msPerStep: number;
  /** msPerStep / the base point's. */
  ratio: number;
  /** What the naive exponent predicts for that ratio. */
  naiveRatio: number;
}

export interface Series {
  param: Param;
  points: SeriesPoint[];
}

export interface ScalingData {
  baseMs: number;
  series: Series[];
  /** Points on no series (e.g. W in f64), with their ratio to the base. */
  others: { point: ScalingPoint; ratio: number }[];
}

const same = (a: Config, b: Config, except?: Param): boolean =>
  a.dtype === b.dtype && PARAMS.every((p) => p === except || a[p] === b[p]);

/**
 * Split the points into the three series (one parameter varied, the others at W's values),
 * each sorted and holding the base point. The first of duplicate points wins. Throws
 * ScalingInputError when the base point is missing, since every ratio is relative to it.
 */
export function pickSeries(points: readonly ScalingPoint[]): ScalingData {
  const base = points.find((p) => same(p, BASE));
  if (!base) {
    throw new ScalingInputError(
      `has no point for the base workload (depth ${BASE.depth} width ${BASE.width} batch ${BASE.batch} ${BASE.dtype})`,
    );
  }
  const baseMs = base.msPerStep;
  const onSeries = new Set<ScalingPoint>();
  const series = PARAMS.map((param): Series => {
    const byValue = new Map<number, ScalingPoint>();
    for (const p of points) {
      if (same(p, BASE, param) && !byValue.has(p[param])) byValue.set(p[param], p);
    }
    for (const p of byValue.values()) onSeries.add(p);
    const values = [...byValue.keys()].sort((a, b) => a - b);
    return {
      param,
      points: values.map((value) => {
        const ms = byValue.get(value)!.msPerStep;
        return {
          value,
          msPerStep: ms,
          ratio: ms / baseMs,
          naiveRatio: (value / BASE[param]) ** NAIVE_EXPONENT[param],
        };
      }),
    };
  });
  const others = points
    .filter((p) => !onSeries.has(p) && !same(p, BASE))
    .map((point) => ({ point, ratio: point.msPerStep / baseMs }));
  return { baseMs, series, others };
}

/** Least-squares slope of log ms against log value: the measured cost exponent. */
export function fittedExponent(points: readonly SeriesPoint[]): number {
  const xs = points.map((p) => Math.log(p.value));
  const ys = points.map((p) => Math.log(p.msPerStep));
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

const fixed = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : "–");

/**
 * Markdown table of every point: its ratio to W, the naive ratio, and the local exponent
 * (log-log slope from the previous point of its series), where departures show first.
 */
export function scalingTable(data: ScalingData): string {
  const lines = [
    "| varied | value | ms/step | × W | naive × W | local exponent (naive) |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const s of data.series) {
    s.points.forEach((p, i) => {
      const prev = s.points[i - 1];
      const local = prev
        ? Math.log(p.msPerStep / prev.msPerStep) / Math.log(p.value / prev.value)
        : Number.NaN;
      const base = p.value === BASE[s.param] ? " (W)" : "";
      lines.push(
        `| ${s.param} | ${p.value}${base} | ${p.msPerStep.toFixed(2)} | ${fixed(p.ratio, 2)} | ${fixed(p.naiveRatio, 2)} | ${prev ? `${fixed(local, 2)} (${NAIVE_EXPONENT[s.param]})` : "–"} |`,
      );
    });
  }
  for (const { point, ratio } of data.others) {
    const spec = `depth ${point.depth} width ${point.width} batch ${point.batch} ${point.dtype}`;
    lines.push(
      `| (other) | ${spec} | ${point.msPerStep.toFixed(2)} | ${fixed(ratio, 2)} | – | – |`,
    );
  }
  const fits = data.series
    .filter((s) => s.points.length >= 2)
    .map(
      (s) => `${s.param} ${fixed(fittedExponent(s.points), 2)} (naive ${NAIVE_EXPONENT[s.param]})`,
    );
  return `${lines.join("\n")}\n\nFitted exponents (log-log least squares): ${fits.join(", ")}\n`;
}

const AXIS_LABEL: Readonly<Record<Param, string>> = {
  depth: "depth (hidden layers, log scale)",
  width: "width (units per layer, log scale)",
  batch: "batch (examples per step, log scale)",
};

const NAIVE_LABEL: Readonly<Record<Param, string>> = {
  depth: "∝ depth",
  width: "∝ width²",
  batch: "∝ batch",
};

/** Fixed parts of each series, for the panel's corner note. */
const HELD: Readonly<Record<Param, string>> = {
  depth: `width ${BASE.width}, batch ${BASE.batch}`,
  width: `depth ${BASE.depth}, batch ${BASE.batch}`,
  batch: `depth ${BASE.depth}, width ${BASE.width}`,
};

/** Ticks 1, 2, 5 × 10ⁿ within [lo, hi], or 1, 3 × 10ⁿ over more than 2.5 decades. */
export function msTicks(lo: number, hi: number): number[] {
  const mantissas = Math.log10(hi / lo) > 2.5 ? [1, 3] : [1, 2, 5];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(6));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(v);
    }
  }
  return ticks;
}

/**
 * A log axis drawn as a linear one over log10 values, with ticks at `ticks` labelled plainly
 * ("0.5", "80", "1024"): Plot's own log scale blanks labels it thinks too dense (80, 3, ...),
 * as src/report/figures/phase-diagram.ts also works around.
 */
function log10Axis(
  lo: number,
  hi: number,
  ticks: readonly number[],
  label: string | null,
): Plot.ScaleOptions {
  return {
    type: "linear",
    domain: [Math.log10(lo), Math.log10(hi)],
    ticks: ticks.map(Math.log10),
    tickFormat: (t: number) => formatTick(Number((10 ** t).toPrecision(10))),
    label,
    labelAnchor: "center",
    labelArrow: "none",
    tickSize: 5,
    grid: true,
  };
}

/** A series' x range: its values widened by a quarter octave each side (base alone: ×/÷ 2). */
function xRange(s: Series): [number, number] {
  const values = s.points.map((p) => p.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? [lo / 2, hi * 2] : [lo / 2 ** 0.25, hi * 2 ** 0.25];
}

/** Naive ms/step through the base point at x. */
const naiveMs = (data: ScalingData, param: Param, x: number): number =>
  data.baseMs * (x / BASE[param]) ** NAIVE_EXPONENT[param];

export interface ScalingFigureOptions {
  document: FigureDocument;
  width?: number;
  height?: number;
  subtitle?: string;
}

/** The three-panel figure as SVG markup. The y axis (ms/step, log) is shared by the panels. */
export function scalingFigure(data: ScalingData, options: ScalingFigureOptions): string {
  const shown = data.series.filter((s) => s.points.length > 0);
  // One y range for all panels, so equal slopes look equal; it covers the dashed lines too.
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const s of shown) {
    for (const x of xRange(s)) {
      const y = naiveMs(data, s.param, x);
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
    for (const p of s.points) {
      lo = Math.min(lo, p.msPerStep);
      hi = Math.max(hi, p.msPerStep);
    }
  }
  // Room above for the panel notes, below for the fitted slope.
  const [y0, y1] = [lo / 2.2, hi * 2.2];
  const yTicks = msTicks(y0, y1);

  const legend: LegendItem[] = [
    ...shown.map((s, i) => ({
      label: `measured, ${s.param} varied`,
      color: categorical(i),
      shape: "line-dot" as const,
    })),
    { label: "naive expectation through W", color: MUTED, shape: "dashed" },
    {
      label: `○ W: depth ${BASE.depth}, width ${BASE.width}, batch ${BASE.batch}, ${BASE.dtype} (${formatNumber(data.baseMs, 3)} ms/step)`,
      color: INK,
      shape: "none",
    },
  ];

  const log = (v: number) => Math.log10(v);
  const panels = shown.map((s, i) => (): Plot.PlotOptions => {
    const color = categorical(i);
    const [x0, x1] = xRange(s);
    // On log-log axes the naive line is straight: its two ends are enough.
    const ref = [x0, x1].map((x) => ({ x: log(x), y: log(naiveMs(data, s.param, x)) }));
    const pts = s.points.map((p) => ({ x: log(p.value), y: log(p.msPerStep) }));
    const exponent = fittedExponent(s.points);
    const note = { frameAnchor: "top-left", dx: 8, lineHeight: 1.3 } as const;
    return {
      ...MARGINS,
      marginLeft: i === 0 ? MARGINS.marginLeft : 56,
      marginRight: 28,
      x: log10Axis(
        x0,
        x1,
        s.points.map((p) => p.value),
        AXIS_LABEL[s.param],
      ),
      y: log10Axis(y0, y1, yTicks, i === 0 ? "ms per training step (log scale)" : null),
      marks: [
        Plot.frame({ stroke: "#bbbbbb" }),
        Plot.line(ref, { x: "x", y: "y", stroke: MUTED, strokeDasharray: "6 4", strokeWidth: 1.5 }),
        Plot.line(pts, { x: "x", y: "y", stroke: color, strokeWidth: 2.5 }),
        Plot.dot(pts, { x: "x", y: "y", fill: color, r: 4.5 }),
        Plot.dot([{ x: log(BASE[s.param]), y: log(data.baseMs) }], {
          x: "x",
          y: "y",
          r: 8.5,
          stroke: INK,
          strokeWidth: 1.5,
          fill: "none",
        }),
        Plot.text([`${s.param} varied\n${HELD[s.param]}`], {
          ...note,
          dy: 8,
          fill: INK,
          fontSize: SMALL_SIZE + 1,
          fontWeight: "bold",
        }),
        Plot.text([`dashed: ${NAIVE_LABEL[s.param]} (naive)`], {
          ...note,
          dy: 8 + 2 * 1.3 * (SMALL_SIZE + 1),
          fill: MUTED,
          fontSize: SMALL_SIZE + 1,
        }),
        Plot.text([`log-log fit slope ${fixed(exponent, 2)}\n(naive ${NAIVE_EXPONENT[s.param]})`], {
          frameAnchor: "bottom-right",
          dx: -8,
          dy: -8,
          lineHeight: 1.3,
          fill: color,
          fontSize: SMALL_SIZE + 1,
          fontWeight: "bold",
        }),
      ],
    };
  });

  return composeFigure({
    document: options.document,
    width: options.width ?? 1200,
    height: options.height ?? 540,
    header: {
      title: "Cost of a training step against depth, width and batch",
      subtitle: options.subtitle,
      legend,
    },
    panels,
    // The first panel also carries the y axis label.
    panelWeights: shown.map((_, i) => (i === 0 ? 1.08 : 1)),
  });
}

function fail(message: string): never {
  console.error(`scaling-figure: ${message}`);
  process.exit(1);
}

function main(argv: readonly string[]): void {
  const input = argv[0] ?? "bench/results.json";
  const output = argv[1] ?? "docs/figures/scaling.png";
  if (!existsSync(input)) fail(`${input} not found (run \`npm run bench -- --scaling\` first)`);
  let results: unknown;
  try {
    results = JSON.parse(readFileSync(input, "utf8"));
  } catch (e) {
    fail(`${input} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  let data: ScalingData;
  try {
    data = pickSeries(parseScaling(results));
  } catch (e) {
    if (e instanceof ScalingInputError) fail(`${input} ${e.message}`);
    throw e;
  }
  const meta = results as { date?: unknown; cpu?: unknown; cores?: unknown; node?: unknown };
  const about = [
    typeof meta.cpu === "string" ? meta.cpu : null,
    typeof meta.cores === "number" ? `${meta.cores} cores` : null,
    typeof meta.node === "string" ? `Node ${meta.node}` : null,
    typeof meta.date === "string" ? meta.date.slice(0, 10) : null,
  ].filter((v) => v !== null);
  const subtitle = `gradscope, tanh MLP, default kernels; one parameter varied at a time around W. Dashed: naive cost (∝ depth, ∝ width², ∝ batch) through W.${about.length > 0 ? ` ${about.join(", ")}.` : ""}`;
  const svg = scalingFigure(data, { document: nodeDocument(), subtitle });
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, svgToPng(svg, { scale: 1.5 }));
  process.stdout.write(scalingTable(data));
  console.error(`wrote ${output}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
