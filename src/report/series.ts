import * as Plot from "@observablehq/plot";
import type { LegendItem } from "./frame.ts";
import { finiteExtent } from "./histogram.ts";
import { MUTED, NONFINITE_COLOR } from "./palette.ts";

/** Line series on a log y axis, with the values a log axis cannot show marked, not dropped. */

export interface SeriesPoint {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  color: string;
  points: readonly SeriesPoint[];
  dashed?: boolean;
  /** Draw a dot at every point (default true for solid lines). */
  dots?: boolean;
}

/** Whether a value can be placed on a log axis. */
export function onLogScale(y: number): boolean {
  return Number.isFinite(y) && y > 0;
}

/** Positive finite extent of the series' y values ([1, 10] when there is none). */
export function positiveExtent(series: readonly Series[]): [number, number] {
  return (
    finiteExtent(
      series.map((s) => s.points.map((p) => p.y)),
      true,
    ) ?? [1, 10]
  );
}

/**
 * Marks for the series: lines broken where a value cannot be shown, dots, and a red cross at
 * the bottom of the axis (y = floor) for each zero, negative, NaN or infinite value.
 */
export function logSeriesMarks(
  series: readonly Series[],
  floor: number,
): { marks: Plot.Markish[]; offScale: number } {
  const marks: Plot.Markish[] = [];
  const off: SeriesPoint[] = [];
  for (const s of series) {
    const data = s.points.map((p) => ({ x: p.x, y: onLogScale(p.y) ? p.y : Number.NaN }));
    marks.push(
      Plot.line(data, {
        x: "x",
        y: "y",
        stroke: s.color,
        strokeWidth: s.dashed ? 2 : 2.2,
        strokeDasharray: s.dashed ? "7 5" : undefined,
      }),
    );
    if (s.dots ?? !s.dashed) {
      marks.push(Plot.dot(data, { x: "x", y: "y", fill: s.color, r: 3 }));
    }
    for (const p of s.points) if (!onLogScale(p.y)) off.push({ x: p.x, y: floor });
  }
  if (off.length > 0) {
    marks.push(
      Plot.dot(off, {
        x: "x",
        y: "y",
        symbol: "times",
        stroke: NONFINITE_COLOR,
        strokeWidth: 2.5,
        r: 6,
      }),
    );
  }
  return { marks, offScale: off.length };
}

/** Legend item for off-scale markers. */
export function offScaleItem(): LegendItem {
  return { label: "0, NaN or ∞ (off the log scale)", color: NONFINITE_COLOR, shape: "x" };
}

/** Legend item for dashed theory lines. */
export function theoryItem(label = "theory (dashed)"): LegendItem {
  return { label, color: MUTED, shape: "dashed" };
}
