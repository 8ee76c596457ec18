import { type ImportedRunConfig, isImportedConfig } from "../../experiment/run-diagnosis.ts";
import type { TrainRecord, TrainSummary } from "../../experiment/train/recorder.ts";
import type { ResolvedTrainConfig } from "../../experiment/train/train-config.ts";
import { type ActivationLayer, activationHistograms } from "../figures/activation-histograms.ts";
import { gradientHeatmap } from "../figures/gradient-heatmap.ts";
import { gradientNormByLayer } from "../figures/gradient-norm.ts";
import { FLOAT32_MAX, gradientNormOverSteps } from "../figures/gradient-steps.ts";
import { chanceLevel, lossCurves } from "../figures/loss-curves.ts";
import { updateRatio } from "../figures/update-ratio.ts";
import { describeNetwork, type FigureSetOptions, type NamedFigure } from "./common.ts";
import { histogramSubtitle } from "./probe.ts";
import { trainGradientTheory } from "./theory.ts";

/** A training run as its directory holds it (readRunDir). */
export interface TrainRunData {
  /** Ours, or a run recorded from the user's own model (python/gradscope_hook.py). */
  config: ResolvedTrainConfig | ImportedRunConfig;
  records: readonly TrainRecord[];
  summary: TrainSummary | null;
}

export interface TrainFigureOptions extends FigureSetOptions {
  /** Activations at initialization (initialActivationLayers): adds the histogram figure. */
  activations?: readonly ActivationLayer[] | null;
  /** Mean square of the input features, for the theory line (default 1: standardized). */
  inputMeanSq?: number;
  /** Draw the mean-field shape beside step 1 when it applies (default true). */
  theory?: boolean;
}

/** The run in one line: "spirals; depth 20, width 64, ...; sgd lr 0.1, 500 steps". */
export function describeTrainRun(config: ResolvedTrainConfig): string {
  const opt = [
    `${config.optimizer} lr ${config.lr}${config.schedule !== "constant" ? ` (${config.schedule})` : ""}`,
    `${config.steps} steps`,
    config.clip !== "none" ? `clip ${config.clip} ${config.clipThreshold}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return `${config.dataset}, ${config.loss} loss; ${describeNetwork(config)}; ${opt}`;
}

/** Any run in one line: ours as describeTrainRun, an imported one by its source and modules. */
export function describeRun(config: ResolvedTrainConfig | ImportedRunConfig): string {
  if (!isImportedConfig(config)) return describeTrainRun(config);
  const opt = config.optimizer?.type
    ? `; ${config.optimizer.type}${typeof config.optimizer.lr === "number" ? ` lr ${config.optimizer.lr}` : ""}`
    : "";
  return `imported from ${config.source}${config.name ? ` (${config.name})` : ""}, ${config.modules.length} modules${opt}`;
}

/** Measure points of a run: hidden layers (ours) or recorded modules (imported). */
export function depthOf(config: ResolvedTrainConfig | ImportedRunConfig): number {
  return isImportedConfig(config) ? config.modules.length : config.depth;
}

const num = (v: number | null | undefined): number => (typeof v === "number" ? v : Number.NaN);

/**
 * The first step of a run with a NaN/∞ (its explosion, else the first record with a
 * non-finite loss, global gradient norm or layer gradient), and where; null when none.
 */
export function firstNonFiniteOf(run: TrainRunData): { step: number; what?: string } | null {
  const e = run.summary?.explosion;
  if (e && typeof e.step === "number") return { step: e.step, what: e.what };
  for (const r of run.records) {
    if (typeof r.loss === "number" && !Number.isFinite(r.loss))
      return { step: r.step, what: "loss" };
    if (typeof r.gradNorm === "number" && !Number.isFinite(r.gradNorm))
      return { step: r.step, what: "gradient" };
    if (
      r.layers.some(
        (m) => typeof m.gradWeightNorm === "number" && !Number.isFinite(m.gradWeightNorm),
      )
    )
      return { step: r.step, what: "dW" };
  }
  return null;
}

/**
 * The figures of a training run (train --plot, gradscope report): loss and accuracy curves,
 * the gradient norm by layer at the first and the last recorded step (with the mean-field
 * shape at step 1 when it applies), the layer x step heatmap of the gradient norm, the
 * update-to-weight ratios with the 1e-3 guide, and the activation histograms when given.
 * Figures that need recorded steps are left out when there are none.
 */
export function trainFigures(run: TrainRunData, options: TrainFigureOptions = {}): NamedFigure[] {
  const prefix = options.prefix ?? "";
  const document = options.document;
  const { config, records } = run;
  const subtitle = describeRun(config);
  const ours = isImportedConfig(config) ? null : config;
  const figures: NamedFigure[] = [];
  const first = records[0];
  const last = records[records.length - 1];
  if (first && last) {
    const steps = records.map((r) => r.step);
    const blowUp = firstNonFiniteOf(run);
    const overflowAbove = ours?.dtype === "f32" ? FLOAT32_MAX : Number.MAX_VALUE;
    const ds = run.summary?.dataset;
    const chance = ours !== null && ds ? chanceLevel(ours.loss, ds.task, ds.outputDim) : null;
    const hasAccuracy = records.some((r) => r.trainAcc !== undefined || r.testAcc !== undefined);
    figures.push({
      name: `${prefix}loss-curves`,
      title: "Loss and accuracy during training",
      svg: lossCurves(
        {
          steps,
          trainLoss: records.map((r) => num(r.loss)),
          testLoss: records.map((r) => num(r.testLoss)),
          trainAcc: records.map((r) => num(r.trainAcc)),
          testAcc: records.map((r) => num(r.testAcc)),
        },
        {
          document,
          chance,
          subtitle: `train: minibatch loss at each recorded step; test: the full test set at each evaluation${hasAccuracy ? "; accuracy on the full sets" : ""}. ${subtitle}`,
        },
      ),
      caption:
        "A loss that stays flat from the start often means the early layers receive no gradient.",
    });
    const depth = depthOf(config);
    const inputDim = run.summary?.dataset?.inputDim;
    const theory =
      options.theory !== false && inputDim !== undefined && ours !== null
        ? trainGradientTheory(ours, inputDim, first.layers, options.inputMeanSq ?? 1)
        : null;
    const gradientRuns = [
      { label: `step ${first.step} (at initialization)`, layers: first.layers },
    ];
    // A run that blew up: its last record may hold no finite norm at all. Then the last finite
    // step stands in for it (the crosses of an all-NaN line would say nothing more).
    const finite = (r: TrainRecord) => r.layers.every((m) => Number.isFinite(m.gradWeightNorm));
    const lastFinite = finite(last) ? last : records.findLast(finite);
    const lastAllBad = last.layers.every((m) => !Number.isFinite(m.gradWeightNorm));
    if (lastFinite && lastFinite !== first && lastFinite !== last) {
      const label = lastAllBad
        ? `step ${lastFinite.step}, the last finite (step ${last.step}: NaN/∞ in every layer)`
        : `step ${lastFinite.step} (last finite)`;
      gradientRuns.push({ label, layers: lastFinite.layers });
    }
    if (last !== first && !(lastAllBad && lastFinite)) {
      const note = run.summary?.explosion?.step === last.step ? " (exploded)" : "";
      gradientRuns.push({ label: `step ${last.step}${note}`, layers: last.layers });
    }
    figures.push({
      name: `${prefix}gradient-norm`,
      title: "Weight-gradient norm by layer, first and last recorded step",
      svg: gradientNormByLayer(gradientRuns, {
        document,
        subtitle: theory
          ? `dashed: the mean-field shape at initialization, matched to step ${first.step} at layer ${depth}. ${subtitle}`
          : subtitle,
        ...(theory ? { theory: [theory.gradWeightNorm] } : {}),
      }),
      caption:
        "‖∂L/∂W‖ per layer on a log scale; the legend gives layer 1 ÷ layer L. Far below 1: vanishing, far above: exploding." +
        (theory
          ? " The dashed line is mean-field theory's layer-to-layer shape (its scale matched at the top layer)."
          : ""),
    });
    figures.push({
      name: `${prefix}gradient-steps`,
      title: "Gradient norm over training steps",
      svg: gradientNormOverSteps(
        {
          steps,
          global: records.map((r) => num(r.gradNorm)),
          perLayer: Array.from({ length: depth }, (_, l) => ({
            layer: l + 1,
            values: records.map((r) => num(r.layers[l]?.gradWeightNorm)),
          })),
          firstNonFinite: blowUp,
        },
        { document, subtitle, overflowAbove },
      ),
      caption:
        "The global gradient norm (black, all parameters) and each layer's ‖∂L/∂W‖ over the recorded steps (log scale). Red triangles: overflow (NaN, ∞ or beyond the float's range); grey dots: exactly 0; the dashed red rule: the first NaN/∞ of the run.",
    });
    figures.push({
      name: `${prefix}gradient-heatmap`,
      title: "Gradient norm by layer and training step",
      svg: gradientHeatmap(
        { steps, layers: depth, values: records.map((r) => r.layers.map((m) => m.gradWeightNorm)) },
        { document, subtitle, overflowAbove, firstNonFinite: blowUp?.step ?? null },
      ),
      caption:
        "Each cell is log₁₀ ‖∂L/∂W‖ of one layer at one recorded step: a dark band at the bottom is a vanishing gradient that training does not repair.",
    });
    const perLayer = Array.from({ length: depth }, (_, l) => ({
      layer: l + 1,
      values: records.map((r) => num(r.layers[l]?.updateRatio)),
    }));
    if (perLayer.some((l) => l.values.some(Number.isFinite))) {
      figures.push({
        name: `${prefix}update-ratio`,
        title: "Update-to-weight ratio by layer",
        svg: updateRatio({ steps, perLayer }, { document, subtitle }),
        caption:
          "log₁₀(std ΔW / std W) per step: around −3 (dashed) a layer learns at a healthy pace; far below, it barely moves.",
      });
    }
  }
  const acts = options.activations;
  if (acts && acts.length > 0 && ours !== null) {
    const config = ours;
    const label =
      config.activation === "leaky-relu" ? `leaky-relu(${config.slope})` : config.activation;
    figures.push({
      name: `${prefix}activation-histograms`,
      title: "Activation distribution by layer at initialization",
      svg: activationHistograms(acts, {
        document,
        activation: label,
        title: `Activation distribution by layer at initialization (${label})`,
        subtitle: histogramSubtitle(
          acts,
          config.depth,
          ["step 1's minibatch"],
          describeNetwork(config),
        ),
      }),
      caption:
        "φ(u) of each layer on the first minibatch, before any update (rebuilt from config.json: the same seed gives the same initial weights and batch). Mass at the bounds of a bounded activation is saturation.",
    });
  }
  return figures;
}
