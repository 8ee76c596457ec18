import type * as Plot from "@observablehq/plot";
import {
  clean,
  formatTick,
  integerTicks,
  linearTicks,
  logAxis,
  niceStep,
  textWidth,
} from "./format.ts";

/** Axis settings shared by the figures: labels centred along the axis, readable ticks. */

export const MARGINS = {
  marginTop: 14,
  marginRight: 24,
  marginBottom: 48,
  marginLeft: 80,
} as const;

/** Axis options common to x and y. */
function axis(label: string): Plot.ScaleOptions {
  return { label, labelAnchor: "center", labelArrow: "none", tickSize: 5 };
}

/**
 * Least decades a log axis of gradient sizes spans: the data is centred in it, so a flat line
 * at 3e-5 and one at 200 do not fill the plot alike, and ±30% noise stays a wiggle.
 */
export const MIN_LOG_DECADES = 4;

/**
 * A log axis over whole decades around [lo, hi] with 10ⁿ labels, at least `minDecades`
 * decades wide (default 0: as wide as the data) centred on the data.
 */
export function logScale(
  lo: number,
  hi: number,
  label: string,
  maxTicks = 8,
  minDecades = 0,
): Plot.ScaleOptions {
  const { domain, ticks, format } = logAxis(lo, hi, maxTicks, minDecades);
  return { ...axis(label), type: "log", domain, ticks, tickFormat: format, grid: true };
}

/** A linear axis with nice ticks; the domain is padded by `pad` of its span. */
export function linearScale(
  lo: number,
  hi: number,
  label: string,
  options: {
    /** Widen the domain by this fraction of its span on each side. */
    pad?: number;
    /** Extend the domain to the nearest ticks outside it. */
    nice?: boolean;
    grid?: boolean;
    ticks?: number;
    format?: (v: number) => string;
  } = {},
): Plot.ScaleOptions {
  const pad = options.pad ?? 0;
  if (!(hi > lo)) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const span = hi - lo;
  const domain: [number, number] = [lo - pad * span, hi + pad * span];
  if (options.nice) {
    const step = niceStep((domain[1] - domain[0]) / (options.ticks ?? 7));
    domain[0] = clean(Math.floor(domain[0] / step + 1e-9) * step);
    domain[1] = clean(Math.ceil(domain[1] / step - 1e-9) * step);
  }
  return {
    ...axis(label),
    type: "linear",
    domain,
    ticks: linearTicks(domain[0], domain[1], options.ticks ?? 7),
    tickFormat: options.format ?? formatTick,
    grid: options.grid ?? true,
  };
}

/** Layer numbers lo..hi with integer ticks. */
export function layerScale(
  lo: number,
  hi: number,
  label: string,
  pad = hi > lo ? 0.3 : 0.5,
): Plot.ScaleOptions {
  return {
    ...axis(label),
    type: "linear",
    domain: [lo - pad, hi + pad],
    ticks: integerTicks(lo, hi),
    tickFormat: formatTick,
  };
}

/** Least free space between neighbouring tick labels, in pixels. */
export const TICK_GAP = 6;

interface TickedScale {
  type?: unknown;
  domain?: unknown;
  ticks?: unknown;
  tickFormat?: unknown;
}

/** Pixel position of v along an axis of `length` pixels over the scale's numeric domain. */
function tickPosition(scale: TickedScale, v: number, length: number): number {
  const [d0, d1] = scale.domain as [number, number];
  if (scale.type === "log") {
    return ((Math.log10(v) - Math.log10(d0)) / (Math.log10(d1) - Math.log10(d0))) * length;
  }
  return ((v - d0) / (d1 - d0)) * length;
}

/**
 * The scale with every k-th of its explicit ticks, for the smallest k whose labels do not
 * overlap along an axis of `length` pixels (x: label widths at `fontSize`; y: the line height).
 * "50 100150200" cannot happen. Scales without an explicit numeric tick list are returned as
 * they are.
 */
export function fitTicks<S extends TickedScale>(
  scale: S,
  length: number,
  axis: "x" | "y",
  fontSize: number,
): S {
  const ticks = scale.ticks;
  const domain = scale.domain;
  if (!Array.isArray(ticks) || ticks.length < 2 || !Array.isArray(domain) || !(length > 0)) {
    return scale;
  }
  if (!ticks.every((t) => typeof t === "number") || typeof domain[0] !== "number") return scale;
  const format =
    typeof scale.tickFormat === "function"
      ? (scale.tickFormat as (v: number) => string)
      : (v: number) => String(v);
  const nums = ticks as number[];
  const size = (v: number) => (axis === "x" ? textWidth(format(v), fontSize) : fontSize * 1.15);
  const fits = (kept: number[]): boolean => {
    for (let i = 1; i < kept.length; i++) {
      const a = kept[i - 1]!;
      const b = kept[i]!;
      const gap = Math.abs(tickPosition(scale, b, length) - tickPosition(scale, a, length));
      if (gap < (size(a) + size(b)) / 2 + TICK_GAP) return false;
    }
    return true;
  };
  for (let k = 1; k < nums.length; k++) {
    const kept = nums.filter((_, i) => i % k === 0);
    if (fits(kept)) return k === 1 ? scale : { ...scale, ticks: kept };
  }
  return { ...scale, ticks: [nums[0]!] };
}
