/**
 * What `doctor --arch` tries: changes to a recurrent or transformer run config that answer a
 * flow verdict (over time steps or blocks), each an actual config change that `gradscope
 * train` runs. Recurrent remedies are recurrent/remedies.ts's (clipping, orthogonal W_hh at
 * gain 1, IRNN, LSTM, GRU, forget bias); transformer remedies are here (pre-LN, DeepNorm,
 * warmup, a smaller initialization, clipping). A remedy already in place is not proposed.
 */
import { deepNormAlpha, deepNormBeta } from "../../core/transformer/deepnorm.ts";
import type { Verdict } from "../../verdict/flow-verdict.ts";
import { recurrentRemedies } from "../recurrent/remedies.ts";
import { recurrentTrainConfig } from "../sequence-train/recurrent-model.ts";
import {
  isTransformerRun,
  type RecurrentRunConfig,
  type SequenceRunConfig,
  type TransformerRunConfig,
} from "../sequence-train/types.ts";

/** Changes to a run config; `arch` may change within the recurrent family (rnn -> lstm). */
export type RunChanges = Partial<RecurrentRunConfig> | Partial<TransformerRunConfig>;

export interface ArchRemedy {
  id: string;
  label: string;
  /** Why it helps here, in one sentence. */
  why: string;
  reference: string;
  changes: RunChanges;
}

/** Verdicts of growth: clipping answers them. */
const GROWING: readonly Verdict[] = ["exploding", "exploded", "non-finite", "signal-blowup"];
/** Verdicts of a gradient or signal that fades through the blocks. */
const SHRINKING: readonly Verdict[] = ["vanishing", "underflow", "signal-collapse"];

/**
 * Fraction of the steps the warmup remedy ramps the rate over: 30 of 100 in the depth-24
 * measurements of docs/THEORY.md ("Training at depth 24").
 */
export const WARMUP_FRACTION = 0.3;

interface TransformerRule {
  id: string;
  label: (c: TransformerRunConfig) => string;
  reference: string;
  for: readonly Verdict[];
  available: (c: TransformerRunConfig) => boolean;
  changes: (c: TransformerRunConfig) => Partial<TransformerRunConfig>;
  why: (c: TransformerRunConfig) => string;
}

/** The smaller initialization's gain: DeepNet's beta = (8L)^(-1/4) times the current gain. */
export function smallerGain(c: TransformerRunConfig): number {
  return Number((c.gain * deepNormBeta(c.depth)).toPrecision(3));
}

const TRANSFORMER_RULES: readonly TransformerRule[] = [
  {
    id: "pre-ln",
    label: () => "pre-LN (LayerNorm inside the residual branch)",
    reference: "Xiong et al. 2020",
    for: [...SHRINKING, ...GROWING],
    available: (c) => c.normPosition === "post",
    changes: () => ({ normPosition: "pre" }),
    why: () =>
      "x + G(LN(x)) keeps an identity path from the loss to every block, so the lower blocks are not starved when the top ones take large early steps",
  },
  {
    id: "deepnorm",
    label: () => "DeepNorm (post-LN with alpha and beta)",
    reference: "Wang et al. 2022",
    for: [...SHRINKING, ...GROWING],
    available: (c) => c.normPosition !== "deepnorm",
    changes: () => ({ normPosition: "deepnorm" }),
    why: (c) =>
      `LN(alpha x + G(x)) with alpha = (2L)^(1/4) = ${deepNormAlpha(c.depth).toFixed(2)} and branch weights at gain beta = (8L)^(-1/4) = ${deepNormBeta(c.depth).toFixed(2)} bound the model update at any depth`,
  },
  {
    id: "warmup",
    label: (c) => `learning-rate warmup over ${warmupStepsFor(c)} steps`,
    reference: "Vaswani et al. 2017; Liu et al. 2020",
    for: [...SHRINKING, ...GROWING],
    available: (c) => c.schedule === "constant",
    changes: (c) => ({ schedule: "warmup", warmupSteps: warmupStepsFor(c) }),
    why: () =>
      "post-LN's gradient is largest near the output: a rate ramped up from zero keeps the first large updates from making the top blocks dominate (Liu et al. 2020)",
  },
  {
    id: "smaller-init",
    label: (c) => `smaller initialization (gain ${smallerGain(c)})`,
    reference: "Wang et al. 2022 (beta); Zhang, Titov & Sennrich 2019",
    for: [...SHRINKING, ...GROWING],
    available: (c) => c.normPosition !== "deepnorm",
    changes: (c) => ({ gain: smallerGain(c) }),
    why: (c) =>
      `every weight at gain x (8L)^(-1/4) = ${smallerGain(c)}: each block adds a smaller G(x) to its input, so the stack starts closer to the identity`,
  },
  {
    id: "clip-gradients",
    label: () => "clip the gradient norm at 1",
    reference: "Pascanu, Mikolov & Bengio 2013",
    for: GROWING,
    available: (c) => c.clip === "none" || c.clipThreshold > 1,
    changes: () => ({ clip: "global-norm", clipThreshold: 1 }),
    why: () =>
      "rescaling the whole gradient when its norm exceeds 1 keeps one large step from throwing the weights away",
  },
];

function warmupStepsFor(c: TransformerRunConfig): number {
  return Math.max(1, Math.round(WARMUP_FRACTION * c.steps));
}

/** The recurrent remedies of recurrent/remedies.ts as run-config changes. */
function recurrentRunRemedies(c: RecurrentRunConfig, verdict: Verdict): ArchRemedy[] {
  return recurrentRemedies(recurrentTrainConfig(c), verdict).map((r) => {
    const { clip, ...rest } = r.change;
    const changes: Partial<RecurrentRunConfig> = { ...rest };
    if (clip !== undefined) {
      if (clip === null) changes.clip = "none";
      else Object.assign(changes, { clip: "global-norm", clipThreshold: clip });
    }
    return { id: r.id, label: r.label, why: r.why, reference: r.reference, changes };
  });
}

/**
 * The remedies that answer any of `verdicts` (in order: the first verdict's remedies first),
 * each once, for this config.
 */
export function archRemedies(
  config: SequenceRunConfig,
  verdicts: readonly Verdict[],
): ArchRemedy[] {
  const out: ArchRemedy[] = [];
  const seen = new Set<string>();
  for (const verdict of verdicts) {
    const found = isTransformerRun(config)
      ? TRANSFORMER_RULES.filter((r) => r.for.includes(verdict) && r.available(config)).map(
          (r) => ({
            id: r.id,
            label: r.label(config),
            why: r.why(config),
            reference: r.reference,
            changes: r.changes(config),
          }),
        )
      : recurrentRunRemedies(config, verdict);
    for (const r of found) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      out.push(r);
    }
  }
  return out;
}
