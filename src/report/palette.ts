import * as Plot from "@observablehq/plot";

/** Colours shared by the figures (pure: Plot's scales compute colours without a DOM). */

/** Categorical colours (Tableau 10 without its pale yellow and grey, which vanish on white). */
export const CATEGORICAL = [
  "#4e79a7",
  "#e15759",
  "#59a14f",
  "#f28e2c",
  "#af7aa1",
  "#76b7b2",
  "#9c755f",
  "#ff9da7",
  "#b6992d",
  "#499894",
] as const;

/** Colour of the i-th series (cycles). */
export function categorical(i: number): string {
  return CATEGORICAL[i % CATEGORICAL.length]!;
}

/** Marks for values a scale cannot show (NaN, Inf, zero on a log axis). */
export const NONFINITE_COLOR = "#d62728";
export const ZERO_COLOR = "#bdbdbd";
/** NaN cells on a diverging blue-red scale, where red would read as a value. */
export const MISSING_COLOR = "#8c8c8c";
export const INK = "#222222";
export const MUTED = "#666666";
export const GRID = "#e3e3e3";
export const HEALTHY_FILL = "#59a14f";

interface Interpolator {
  apply(t: number): unknown;
}

function interpolator(scheme: Plot.ColorScheme): Interpolator {
  return Plot.scale({ color: { type: "linear", scheme, domain: [0, 1] } }) as Interpolator;
}

const viridisScale = interpolator("viridis");
const rdbuScale = interpolator("rdbu");

/** Viridis at t in [0, 1] (dark purple to yellow). */
export function viridis(t: number): string {
  return String(viridisScale.apply(Math.min(1, Math.max(0, t))));
}

/** Diverging blue (t = 0) - white (0.5) - red (1). */
export function blueWhiteRed(t: number): string {
  return String(rdbuScale.apply(1 - Math.min(1, Math.max(0, t))));
}

/** n colours sampled evenly from a colour map over [from, to]. */
export function sample(map: (t: number) => string, n: number, from = 0, to = 1): string[] {
  if (n <= 1) return [map((from + to) / 2)];
  return Array.from({ length: n }, (_, i) => map(from + ((to - from) * i) / (n - 1)));
}

/** Colour of layer `index` (0-based) of `count` layers: viridis without its pale yellow end. */
export function layerColor(index: number, count: number): string {
  return viridis(count <= 1 ? 0.4 : (0.85 * index) / (count - 1));
}
