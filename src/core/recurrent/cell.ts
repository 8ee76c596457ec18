import type { FloatArray } from "../dtype.ts";

/** The recurrent architectures: a vanilla (Elman) RNN, an LSTM and a GRU, as in PyTorch. */
export const RECURRENT_KINDS = ["rnn", "lstm", "gru"] as const;
export type RecurrentKind = (typeof RECURRENT_KINDS)[number];

export function isRecurrentKind(s: string): s is RecurrentKind {
  return (RECURRENT_KINDS as readonly string[]).includes(s);
}

/** Gate blocks stacked in weight_ih / weight_hh, in PyTorch's order. */
export const GATE_NAMES: Readonly<Record<RecurrentKind, readonly string[]>> = {
  rnn: ["h"],
  lstm: ["i", "f", "g", "o"],
  gru: ["r", "z", "n"],
};

/**
 * The tensors of one time step t, as views into the layer's time-major buffers ([batch, G*H]
 * for gate-shaped ones, [batch, H] for state-shaped ones). The layer re-points the fields
 * every step (no allocation); a cell reads and writes only the ones it uses. Empty arrays
 * stand for tensors a cell does not have (c for an RNN or a GRU).
 */
export interface StepTensors {
  /** x_t W_ih^T + b_ih */
  gi: FloatArray;
  /** h_{t-1} W_hh^T + b_hh */
  gh: FloatArray;
  /** What the cell keeps for backward: rnn the pre-activation u; lstm i,f,g,o; gru r,z,n. */
  gates: FloatArray;
  hPrev: FloatArray;
  h: FloatArray;
  /** LSTM cell state c_{t-1}, c_t and tanh(c_t). */
  cPrev: FloatArray;
  c: FloatArray;
  tanhC: FloatArray;
  /** In: the total dL/dh_t. */
  dh: FloatArray;
  /** Out: the part of dL/dh_{t-1} that bypasses W_hh (GRU: z * dh); only when directPath. */
  dhPrev: FloatArray;
  /** LSTM. In: dL/dc_t carried from step t+1; out: the total dL/dc_t (in place). */
  dc: FloatArray;
  /** LSTM. Out: the carry f_t * dL/dc_t into step t-1. */
  dcPrev: FloatArray;
  /** Out: dL/d(gi) and dL/d(gh), [batch, G*H]. */
  dgi: FloatArray;
  dgh: FloatArray;
}

/**
 * One recurrent cell's equations over a batch. Gate pre-activations arrive split as torch
 * computes them (gi from the input, gh from the state, each with its own bias), so dumps replay
 * exactly; the layer does the matrix products and the cell the element-wise rest.
 */
export interface RecurrentCell {
  readonly kind: RecurrentKind;
  /** Number of gate blocks G: rows of weight_ih are G * hidden. */
  readonly gates: number;
  /** Has a cell state c (LSTM). */
  readonly hasCell: boolean;
  /** dL/dh_{t-1} has a term that does not go through W_hh (GRU's z * h_{t-1}). */
  readonly directPath: boolean;
  forward(s: StepTensors, batch: number, hidden: number): void;
  backward(s: StepTensors, batch: number, hidden: number): void;
}

/** Logistic sigmoid without overflow for large |x| (same formula as activations.ts). */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
