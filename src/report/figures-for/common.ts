import type { NetworkConfig } from "../../experiment/config.ts";
import type { FigureDocument } from "../dom.ts";

/** A figure ready to be written or embedded: a file name (no extension), a title, its SVG. */
export interface NamedFigure {
  /** Plain file name without extension, e.g. "gradient-norm". */
  name: string;
  title: string;
  svg: string;
  /** One or two sentences on how to read it (the HTML report prints them under the figure). */
  caption?: string;
}

export interface FigureSetOptions {
  /** DOM document to draw with (in Node: nodeDocument()). */
  document?: FigureDocument;
  /** Prefix of every figure name, e.g. "probe-" (default none). */
  prefix?: string;
}

/** The network part of a config in one line: "depth 20, width 64, sigmoid, init ...". */
export function describeNetwork(
  c: Pick<
    NetworkConfig,
    | "depth"
    | "width"
    | "activation"
    | "slope"
    | "init"
    | "weightVar"
    | "biasVar"
    | "gain"
    | "batchNorm"
    | "layerNorm"
    | "residual"
    | "branchScale"
    | "dtype"
    | "seed"
  > & { batch?: number },
): string {
  const weighted = c.init === "normal" || c.init === "uniform" || c.init === "orthogonal";
  return [
    `depth ${c.depth}`,
    `width ${c.width}`,
    c.activation === "leaky-relu" ? `leaky-relu(${c.slope})` : c.activation,
    `init ${c.init}${weighted ? ` (weight var ${c.weightVar})` : ""}`,
    c.biasVar > 0 ? `bias var ${c.biasVar}` : "",
    c.gain !== 1 ? `gain ${c.gain}` : "",
    c.batchNorm ? "batch norm" : c.layerNorm ? "layer norm" : "",
    c.residual ? `residual (scale ${c.branchScale})` : "",
    c.batch === undefined ? "" : `batch ${c.batch}`,
    c.dtype,
    `seed ${c.seed}`,
  ]
    .filter(Boolean)
    .join(", ");
}

/**
 * At most `max` of the indices 0..count-1, evenly spread, always with the first and the last
 * (for figures that would become unreadable with one row per layer of a deep network).
 */
export function pickIndices(count: number, max: number): number[] {
  if (count <= max) return Array.from({ length: count }, (_, i) => i);
  const picks = new Set<number>();
  for (let k = 0; k < max; k++) picks.add(Math.round((k * (count - 1)) / (max - 1)));
  return [...picks].sort((a, b) => a - b);
}

/** The greatest number of per-layer activation histograms drawn in one figure. */
export const MAX_HISTOGRAM_LAYERS = 12;
