import { activationGamma } from "../../theory/recurrent.ts";
import type { Verdict } from "../../verdict/flow-verdict.ts";
import type { RecurrentTrainConfig } from "./train-recurrent.ts";

export const RECURRENT_REMEDY_IDS = [
  "clip-gradients",
  "orthogonal-recurrent",
  "identity-relu",
  "use-lstm",
  "use-gru",
  "forget-bias",
] as const;
export type RecurrentRemedyId = (typeof RECURRENT_REMEDY_IDS)[number];

/** A change to try on a recurrent net, with the reason and the paper behind it. */
export interface RecurrentRemedy {
  id: RecurrentRemedyId;
  label: string;
  /** Why it helps here, in one sentence. */
  why: string;
  change: Partial<RecurrentTrainConfig>;
  reference: string;
}

interface RemedyRule {
  id: RecurrentRemedyId;
  label: string;
  reference: string;
  /** The verdicts it answers. */
  for: readonly Verdict[];
  available(c: RecurrentTrainConfig): boolean;
  change(c: RecurrentTrainConfig): Partial<RecurrentTrainConfig>;
  why(c: RecurrentTrainConfig): string;
}

const GROWING: readonly Verdict[] = ["exploding", "exploded", "non-finite"];
const SHRINKING: readonly Verdict[] = ["vanishing", "underflow"];

/** sigma_max of rho times an orthogonal or identity block is |rho|; else unknown here. */
const orthogonalRho = (c: RecurrentTrainConfig): number | null =>
  c.recurrentInit === "orthogonal" || c.recurrentInit === "identity"
    ? Math.abs(c.recurrentGain)
    : null;

// Ordered by how directly each answers its verdict; doctor ranks them by measurement anyway.
const RULES: readonly RemedyRule[] = [
  {
    id: "clip-gradients",
    label: "clip the gradient norm at 1",
    reference: "Pascanu, Mikolov & Bengio 2013",
    for: GROWING,
    available: (c) => c.clip === null || c.clip > 1,
    change: () => ({ clip: 1 }),
    why: () =>
      "rescaling the whole gradient when its norm exceeds a threshold keeps one exploding step from throwing the weights away, without changing its direction",
  },
  {
    id: "orthogonal-recurrent",
    label: "orthogonal recurrent matrix, gain 1",
    reference: "Saxe et al. 2014; Arjovsky, Shah & Bengio 2016",
    for: [...GROWING, ...SHRINKING],
    available: (c) => !(c.recurrentInit === "orthogonal" && Math.abs(c.recurrentGain) === 1),
    change: () => ({ recurrentInit: "orthogonal", recurrentGain: 1 }),
    why: (c) => {
      const rho = orthogonalRho(c);
      const gamma = c.arch === "rnn" ? activationGamma(c.activation) : 1;
      return `every singular value of W_hh at 1 puts a step's Jacobian norm at most gamma = ${gamma}${rho === null ? "" : ` (now sigma_max = ${rho})`}: no direction grows, and with a linear-ish regime none shrinks`;
    },
  },
  {
    id: "identity-relu",
    label: "IRNN: ReLU with an identity recurrent matrix",
    reference: "Le, Jaitly & Hinton 2015",
    for: SHRINKING,
    available: (c) =>
      c.arch === "rnn" && !(c.activation === "relu" && c.recurrentInit === "identity"),
    change: () => ({ activation: "relu", recurrentInit: "identity", recurrentGain: 1 }),
    why: () =>
      "with W_hh = I and ReLU the gradient of active units passes back unchanged, where tanh's phi' < 1 shrinks it every step",
  },
  {
    id: "use-lstm",
    label: "LSTM instead of a vanilla RNN",
    reference: "Hochreiter & Schmidhuber 1997",
    for: [...SHRINKING, ...GROWING],
    available: (c) => c.arch === "rnn",
    change: () => ({ arch: "lstm", activation: "tanh" }),
    why: () =>
      "the cell state is updated additively, c_t = f c_{t-1} + i g, so its gradient is scaled by the forget gate, not by W_hh and phi' at every step",
  },
  {
    id: "use-gru",
    label: "GRU instead of a vanilla RNN",
    reference: "Cho et al. 2014",
    for: SHRINKING,
    available: (c) => c.arch === "rnn",
    change: () => ({ arch: "gru", activation: "tanh" }),
    why: () => "the update gate z passes z dL/dh_t straight to h_{t-1}, a path around W_hh",
  },
  {
    id: "forget-bias",
    label: "raise the LSTM forget-gate bias",
    reference: "Gers, Schmidhuber & Cummins 2000; Jozefowicz, Zaremba & Sutskever 2015",
    for: SHRINKING,
    available: (c) => c.arch === "lstm" && c.forgetBias < 3,
    change: (c) => ({ forgetBias: nextForgetBias(c.forgetBias) }),
    why: (c) => {
      const keep = (b: number) => (1 / (1 + Math.exp(-b))).toFixed(2);
      const next = nextForgetBias(c.forgetBias);
      return `the cell keeps sigmoid(${c.forgetBias}) = ${keep(c.forgetBias)} of itself (and of its gradient) per step; bias ${next} keeps ${keep(next)}, so a gradient lives ~${Math.round(1 / (1 - Number(keep(next))))} steps instead of ~${Math.max(1, Math.round(1 / (1 - Number(keep(c.forgetBias)))))}`;
    },
  },
];

/**
 * 1 (the recommended default) from below it, else 3: on the copy task at T = 50 (docs/THEORY.md)
 * bias 1 stays at chance where 3 learns, since sigmoid(1)^49 = 2e-7 and sigmoid(3)^49 = 0.08.
 */
function nextForgetBias(b: number): number {
  return b < 1 ? 1 : 3;
}

/** The remedies that answer `verdict` for this config and are not already in place. */
export function recurrentRemedies(
  config: RecurrentTrainConfig,
  verdict: Verdict,
): RecurrentRemedy[] {
  return RULES.filter((r) => r.for.includes(verdict) && r.available(config)).map((r) => ({
    id: r.id,
    label: r.label,
    why: r.why(config),
    change: r.change(config),
    reference: r.reference,
  }));
}
