import type { LayerMetrics } from "../../probe/layer-metrics.ts";
import type { FigureDocument } from "../dom.ts";
import { gradientNormByLayer } from "../figures/gradient-norm.ts";
import type { Chance } from "../figures/loss-curves.ts";
import { type VariantHistory, variantCurves } from "../figures/variant-curves.ts";
import type { NamedFigure } from "./common.ts";

/** One configuration of a comparison: its label and its per-layer metrics at one step. */
export interface ComparedRun {
  label: string;
  layers: readonly LayerMetrics[];
  /** The run's loss and test accuracy over steps (for the curves figure). */
  history?: VariantHistory;
  /** Chance level of the run's task (the same for every variant of one comparison). */
  chance?: Chance | null;
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
  const histories = atStart.flatMap((r) => (r.history ? [r.history] : []));
  if (histories.length > 0) {
    const chance = atStart.find((r) => r.chance)?.chance ?? null;
    figures.push({
      name: `${options.prefix}loss-accuracy`,
      title: "Training loss and test accuracy of each configuration",
      caption:
        "One colour per configuration on shared axes; dotted: what guessing scores. A remedy works when its loss falls below the chance line and its accuracy rises above it.",
      svg: variantCurves(histories, {
        document: options.document,
        subtitle: options.subtitle,
        chance,
      }),
    });
  }
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
