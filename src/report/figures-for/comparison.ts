import type { LayerMetrics } from "../../probe/layer-metrics.ts";
import type { FigureDocument } from "../dom.ts";
import { gradientNormByLayer } from "../figures/gradient-norm.ts";
import type { NamedFigure } from "./common.ts";

/** One configuration of a comparison: its label and its per-layer metrics at one step. */
export interface ComparedRun {
  label: string;
  layers: readonly LayerMetrics[];
}

/**
 * Figures for `compare` and `doctor`: the weight-gradient norm by layer of every
 * configuration, overlaid, at the first recorded step (initialization) and at the last.
 */
export function comparisonFigures(
  atStart: readonly ComparedRun[],
  atEnd: readonly ComparedRun[],
  options: { document: FigureDocument; prefix: string; subtitle: string },
): NamedFigure[] {
  const figures: NamedFigure[] = [];
  const add = (
    name: string,
    title: string,
    runs: readonly ComparedRun[],
    caption: string,
  ): void => {
    if (runs.length === 0) return;
    figures.push({
      name: `${options.prefix}${name}`,
      title,
      caption,
      svg: gradientNormByLayer(
        runs.map((r) => ({ label: r.label, layers: [...r.layers] })),
        { document: options.document, title, subtitle: options.subtitle },
      ),
    });
  };
  add(
    "gradient-norm-start",
    "Weight-gradient norm by layer at step 1",
    atStart,
    "Each configuration's gradient norm per layer before training moves the weights (log scale).",
  );
  add(
    "gradient-norm-end",
    "Weight-gradient norm by layer at the last recorded step",
    atEnd,
    "The same after training (log scale).",
  );
  return figures;
}
