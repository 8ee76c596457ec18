import type { ProbeResult } from "../../experiment/probe-run.ts";
import type { ActivationLayer } from "../figures/activation-histograms.ts";
import { activationHistograms } from "../figures/activation-histograms.ts";
import { gradientNormByLayer } from "../figures/gradient-norm.ts";
import { describeNetwork, type FigureSetOptions, type NamedFigure } from "./common.ts";
import { probeGradientTheory } from "./theory.ts";

export interface ProbeFigureOptions extends FigureSetOptions {
  /** Activations of the probed network (probeActivationLayers): adds the histogram figure. */
  activations?: readonly ActivationLayer[] | null;
}

/** Layers drawn when only some are: "layers 1, 5, 10 of 10" (empty when all are). */
export function shownLayersNote(layers: readonly { layer: number }[], depth: number): string {
  if (layers.length >= depth) return "";
  return `layers ${layers.map((l) => l.layer).join(", ")} of ${depth}`;
}

/** A ReLU-style share of exact zeros that the histogram figure reports apart (its rule). */
function hasZeroSpike(layers: readonly ActivationLayer[]): boolean {
  return layers.some((l) => {
    let zeros = 0;
    for (const v of l.values) if (v === 0) zeros++;
    return l.values.length > 0 && zeros / l.values.length >= 0.05;
  });
}

/**
 * Subtitle of the histogram figure: notes first, then which layers are shown; with more
 * than 6 layers (the stacked layout) how to read the rows, else `overlay`.
 */
export function histogramSubtitle(
  layers: readonly ActivationLayer[],
  depth: number,
  notes: readonly string[],
  overlay: string,
): string {
  const parts = [...notes, shownLayersNote(layers, depth)].filter(Boolean);
  if (layers.length > 6) {
    parts.push(
      `each row is one layer's histogram, scaled to its own peak${hasZeroSpike(layers) ? "; exact zeros counted apart" : ""}`,
    );
  } else parts.push(overlay);
  return parts.join("; ");
}

/**
 * The figures of `probe --plot`: the weight-gradient norm and the mean squared pre-activation
 * gradient E[dz^2] by layer (each with the mean-field prediction dashed when the result holds
 * one, i.e. probe --theory), and the activation histograms when activations are given.
 */
export function probeFigures(result: ProbeResult, options: ProbeFigureOptions = {}): NamedFigure[] {
  const prefix = options.prefix ?? "";
  const document = options.document;
  const c = result.config;
  const seeds = c.repeats > 1 ? `; mean of ${c.repeats} seeds` : "";
  const subtitle = `${describeNetwork(c)}, ${c.loss} loss${seeds}`;
  // Plain and residual networks: E[dz^2] and the expected ||dW|| from the mean-field profile.
  // Batch norm: E[dz^2] of the finite-batch profile probe --theory computed. No ||dW|| line:
  // dz sums to zero over the batch, so E||dW||^2 needs the off-diagonal-free part of the
  // batch Gram of a_prev (not E[a_prev^2]), which the profile does not report.
  const bn = result.theory?.source === "batch-norm mean-field" ? result.theory : null;
  const theory = result.theory && !bn ? probeGradientTheory(c) : null;
  const preactTheory = bn
    ? bn.layers.map((l) => ({ layer: l.layer, value: l.gradPreactMeanSq }))
    : (theory?.gradPreactMeanSq ?? null);
  const label = c.activation === "leaky-relu" ? `leaky-relu(${c.slope})` : c.activation;
  const runs = [{ label: `measured (${label}, ${c.init})`, layers: result.layers }];
  const figures: NamedFigure[] = [
    {
      name: `${prefix}gradient-norm`,
      title: "Weight-gradient norm by layer",
      svg: gradientNormByLayer(runs, {
        document,
        subtitle,
        ...(theory ? { theory: [theory.gradWeightNorm] } : {}),
      }),
      caption:
        "‖∂L/∂W‖ of each layer on a log scale. A straight descending line toward layer 1 means geometric vanishing; rising means exploding." +
        (theory
          ? " Dashed: the mean-field expectation √(batch · n_out · n_in · E[dz²] E[a_prev²])."
          : bn
            ? " No prediction of ‖∂L/∂W‖ with batch norm (the E[dz²] figure has one)."
            : ""),
    },
    {
      name: `${prefix}grad-preact`,
      title: "Mean squared pre-activation gradient E[dz²] by layer",
      svg: gradientNormByLayer(runs, {
        document,
        metric: "gradPreactMeanSq",
        subtitle,
        ...(preactTheory
          ? {
              theory: [preactTheory],
              ...(bn ? { theoryLabel: "batch-norm mean-field theory (dashed)" } : {}),
            }
          : {}),
      }),
      caption:
        "E[(∂L/∂z)²] per layer: its per-layer factor is the measured counterpart of the mean-field χ₁." +
        (bn
          ? " Dashed: the batch-norm mean-field prediction at this batch size (probe --theory; docs/THEORY.md, the per-layer profile of a batch-norm network). At width 256 and below, or B/width near 1/4, read it as the shape of the profile."
          : theory
            ? " Dashed: the mean-field prediction (probe --theory)."
            : ""),
    },
  ];
  const acts = options.activations;
  if (acts && acts.length > 0) {
    const first = c.repeats > 1 ? `first seed (${c.seed})` : "";
    figures.push({
      name: `${prefix}activation-histograms`,
      title: "Activation distribution by layer",
      svg: activationHistograms(acts, {
        document,
        activation: label,
        subtitle: histogramSubtitle(acts, c.depth, [first], describeNetwork(c)),
      }),
      caption:
        "Histograms of φ(u) over the probe batch. Mass piled at the bounds of a bounded activation means saturation (φ′ ≈ 0); a ReLU's exact zeros are counted apart.",
    });
  }
  return figures;
}
