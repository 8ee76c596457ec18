import {
  isTransformerRun,
  type SequenceRecord,
  type SequenceRunConfig,
  type SequenceSummary,
} from "../../experiment/sequence-train/types.ts";
import { lossCurves } from "../figures/loss-curves.ts";
import { pointStepHeatmap } from "../figures/time-heatmap.ts";
import type { FigureSetOptions, NamedFigure } from "./common.ts";

/** A recurrent or transformer run as its directory holds it. */
export interface SequenceRunFigureData {
  config: SequenceRunConfig;
  records: readonly SequenceRecord[];
  summary: SequenceSummary | null;
}

const num = (v: number | null | undefined): number => (typeof v === "number" ? v : Number.NaN);

/** The run in one line, for subtitles. */
export function sequenceRunSubtitle(c: SequenceRunConfig): string {
  const net = isTransformerRun(c)
    ? `transformer, ${c.depth} blocks ${c.normPosition}-LN, width ${c.width}, ${c.task} task, T = ${c.seqLen}`
    : `${c.arch}${c.arch === "rnn" ? ` (${c.activation})` : ""}, hidden ${c.width}, ${c.task}, T = ${c.seqLen}`;
  const schedule = c.schedule === "constant" ? "" : ` ${c.schedule}`;
  const clip = c.clip === "global-norm" ? `, clip ${c.clipThreshold}` : "";
  return `${net}; ${c.optimizer} lr ${c.lr}${schedule}${clip}, ${c.dtype}, seed ${c.seed}`;
}

/**
 * The figures of a recurrent or transformer run (train --plot, gradscope report): the loss
 * curves, and the gradient over measure point and training step on a log colour scale: for a
 * recurrent net |dL/dh_t| by time step (what backpropagation through time delivers to each
 * step), for a transformer the RMS of dL/dx at each block's input (what the verdict judges)
 * and |dL/dW2| of each block's FFN (Xiong et al.'s quantity).
 */
export function sequenceFigures(
  run: SequenceRunFigureData,
  options: FigureSetOptions = {},
): NamedFigure[] {
  const { config, records, summary } = run;
  const prefix = options.prefix ?? "";
  const document = options.document;
  if (records.length === 0) return [];
  const subtitle = sequenceRunSubtitle(config);
  const steps = records.map((r) => r.step);
  const baseline = summary?.task.baselineLoss;
  const figures: NamedFigure[] = [
    {
      name: `${prefix}loss-curves`,
      title: "Loss and accuracy during training",
      svg: lossCurves(
        {
          steps,
          trainLoss: records.map((r) => num(r.loss)),
          testLoss: records.map((r) => num(r.testLoss)),
          testAcc: records.map((r) => num(r.testAcc)),
        },
        {
          document,
          subtitle: `train: minibatch loss at each recorded step; test: ${config.testSize} test examples at each evaluation. ${subtitle}`,
        },
      ),
      caption: `A loss that stays at the input-blind level${typeof baseline === "number" ? ` (${Number(baseline.toPrecision(3))})` : ""} means the net has not learned to carry the information it needs.`,
    },
  ];
  if (isTransformerRun(config)) {
    const rows = (pick: (b: NonNullable<SequenceRecord["blocks"]>[number]) => number) =>
      records.map((r) => (r.blocks ?? []).map(pick));
    figures.push(
      {
        name: `${prefix}block-gradient-heatmap`,
        title: "Gradient at each block's input by training step",
        svg: pointStepHeatmap(
          { steps, points: config.depth, values: rows((b) => Math.sqrt(b.gradInputMeanSq)) },
          {
            document,
            pointLabel: "block (1 = input side)",
            valueLabel: "RMS ∂L/∂x",
            title: "RMS of ∂L/∂x at each block's input by training step",
            subtitle,
          },
        ),
        caption:
          "Each cell is log₁₀ of the root-mean-square gradient reaching a block's input at one recorded step, the quantity the verdict judges. Dark at the bottom: the lower blocks receive little gradient.",
      },
      {
        name: `${prefix}block-weight-gradient-heatmap`,
        title: "FFN output-weight gradient by block and training step",
        svg: pointStepHeatmap(
          { steps, points: config.depth, values: rows((b) => b.gradWeightNorm) },
          {
            document,
            pointLabel: "block (1 = input side)",
            valueLabel: "‖∂L/∂W₂‖",
            title: "Gradient norm ‖∂L/∂W₂‖ of each block's FFN by training step",
            subtitle,
          },
        ),
        caption:
          "Xiong et al. (2020) bound this gradient at the last block: independent of depth for post-LN, falling as 1/√L for pre-LN.",
      },
    );
    return figures;
  }
  figures.push({
    name: `${prefix}time-step-heatmap`,
    title: "Gradient through time by training step",
    svg: pointStepHeatmap(
      {
        steps,
        points: config.seqLen,
        values: records.map((r) => (r.timeSteps ?? []).map((s) => s.gradHiddenNorm)),
      },
      {
        document,
        pointLabel: `time step t (1 = first input, ${config.seqLen} = read out)`,
        valueLabel: "‖∂L/∂hₜ‖",
        title: "Gradient ‖∂L/∂hₜ‖ by time step and training step",
        subtitle,
      },
    ),
    caption:
      "Each cell is log₁₀ ‖∂L/∂hₜ‖ over the minibatch at one recorded step. The loss reads h_T at the top; a colour that darkens toward t = 1 is a gradient that vanishes going back in time, grey is a gradient rounded to zero.",
  });
  return figures;
}
