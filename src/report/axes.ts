import type * as Plot from "@observablehq/plot";
import { clean, formatTick, integerTicks, linearTicks, logAxis, niceStep } from "./format.ts";

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

/** A log axis over whole decades around [lo, hi] with 10ⁿ labels. */
export function logScale(lo: number, hi: number, label: string, maxTicks = 8): Plot.ScaleOptions {
  const { domain, ticks, format } = logAxis(lo, hi, maxTicks);
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
