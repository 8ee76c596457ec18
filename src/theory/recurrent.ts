/**
 * Gradients through time for recurrent networks: Pascanu, Mikolov & Bengio (2013), "On the
 * difficulty of training recurrent neural networks", section 2.1.
 *
 * For h_t = phi(W_ih x_t + W_hh h_{t-1} + b), one step back multiplies dL/dh by the Jacobian
 * transpose W_hh^T diag(phi'(u_t)), whose norm is at most gamma sigma_max, with
 * gamma = sup |phi'| (1 for tanh, relu and the identity, 1/4 for sigmoid) and sigma_max the
 * largest singular value of W_hh. Hence |dL/dh_t| <= (gamma sigma_max)^(T-t) |dL/dh_T|:
 * - sigma_max < 1/gamma is SUFFICIENT for vanishing (the bound itself decays geometrically);
 * - sigma_max > 1/gamma is NECESSARY for exploding (without it the bound forbids growth).
 * For the linear RNN (phi = identity) with W_hh = rho Q, Q orthogonal, every step back
 * multiplies the Frobenius norm of dL/dh by exactly rho: |dL/dh_t| = rho^(T-t) |dL/dh_T|.
 */
import { type ActivationName, getActivation } from "../core/activations.ts";
import { Mat } from "../core/mat.ts";
import { GATE_NAMES, type RecurrentKind } from "../core/recurrent/cell.ts";
import { singularValues } from "./jacobian/singular-values.ts";

/** gamma of Pascanu et al.: the supremum of |phi'| (1 for tanh, 1/4 for sigmoid). */
export function activationGamma(name: ActivationName, slope?: number): number {
  return getActivation(name, slope === undefined ? {} : { slope }).maxDerivative;
}

export interface PascanuBounds {
  /** sup |phi'|. */
  gamma: number;
  /** Largest singular value of the recurrent matrix. */
  sigmaMax: number;
  /** 1/gamma: where the two conditions meet. */
  threshold: number;
  /** gamma sigma_max: the largest factor one step back can multiply |dL/dh| by. */
  perStepBound: number;
  /** sigma_max < 1/gamma: the gradient vanishes for every input (sufficient condition). */
  vanishingGuaranteed: boolean;
  /** sigma_max > 1/gamma: the necessary condition for exploding holds (growth is possible). */
  explodingPossible: boolean;
}

/** Pascanu's two conditions for a recurrent matrix with top singular value sigmaMax. */
export function pascanuBounds(sigmaMax: number, gamma: number): PascanuBounds {
  if (!(gamma > 0)) throw new RangeError(`pascanuBounds: gamma must be > 0, got ${gamma}`);
  const threshold = 1 / gamma;
  return {
    gamma,
    sigmaMax,
    threshold,
    perStepBound: gamma * sigmaMax,
    vanishingGuaranteed: sigmaMax < threshold,
    explodingPossible: sigmaMax > threshold,
  };
}

/** f^(T-t) for t = 1..T (index t-1): a profile of per-step factor f relative to step T. */
export function stepProfile(factor: number, seqLen: number): number[] {
  const out: number[] = [];
  for (let t = 1; t <= seqLen; t++) out.push(factor ** (seqLen - t));
  return out;
}

/** The linear RNN's exact profile rho^(T-t), t = 1..T, of |dL/dh_t| / |dL/dh_T|. */
export function linearProfile(rho: number, seqLen: number): number[] {
  return stepProfile(Math.abs(rho), seqLen);
}

/** Singular values (descending) of each [H, H] gate block of weight_hh [G*H, H]. */
export function gateSingularValues(
  weightHh: Mat,
  kind: RecurrentKind,
): { gate: string; values: number[] }[] {
  const H = weightHh.cols;
  const names = GATE_NAMES[kind];
  if (weightHh.rows !== names.length * H) {
    throw new RangeError(
      `gateSingularValues: ${kind} weight_hh must be ${names.length * H}x${H}, got ${weightHh.rows}x${weightHh.cols}`,
    );
  }
  return names.map((gate, g) => {
    const block = new Mat(
      H,
      H,
      Float64Array.from(weightHh.data.subarray(g * H * H, (g + 1) * H * H)),
    );
    return { gate, values: Array.from(singularValues(block)) };
  });
}

export interface RecurrentTheory {
  kind: RecurrentKind;
  /** Singular values of weight_hh per gate block (one block "h" for the vanilla RNN). */
  singularValues: { gate: string; values: number[] }[];
  /** Pascanu's conditions: the vanilla RNN only (null for lstm and gru). */
  pascanu: PascanuBounds | null;
  /**
   * Upper bound of |dL/dh_t| / |dL/dh_T| for t = 1..T, (gamma sigma_max)^(T-t) (vanilla RNN
   * only; null otherwise).
   */
  boundProfile: number[] | null;
  /** rho^(T-t) when the net is a linear RNN with W_hh = rho Q (null otherwise). */
  linearProfile: number[] | null;
  /**
   * LSTM: sigmoid(forget bias), the factor by which the cell-state gradient shrinks per step
   * back at initialization when the gates sit near their biases (null otherwise).
   */
  forgetGateFactor: number | null;
  /** One line for people. */
  note: string;
}

export interface RecurrentTheoryInput {
  kind: RecurrentKind;
  activation: ActivationName;
  slope?: number;
  weightHh: Mat;
  seqLen: number;
  /** rho when W_hh was drawn as rho times an orthogonal matrix (orthogonal or identity init). */
  orthogonalGain?: number | null;
  forgetBias?: number;
}

/** The theory column of a recurrent probe. */
export function recurrentTheory(input: RecurrentTheoryInput): RecurrentTheory {
  const sv = gateSingularValues(input.weightHh, input.kind);
  if (input.kind !== "rnn") {
    const f =
      input.kind === "lstm" && input.forgetBias !== undefined
        ? 1 / (1 + Math.exp(-input.forgetBias))
        : null;
    return {
      kind: input.kind,
      singularValues: sv,
      pascanu: null,
      boundProfile: null,
      linearProfile: null,
      forgetGateFactor: f,
      note:
        input.kind === "lstm"
          ? `Pascanu's bounds are for the vanilla RNN; the LSTM's cell state carries the gradient through the forget gate (sigmoid(forget bias) = ${f === null ? "?" : f.toPrecision(3)} per step at initialization)`
          : "Pascanu's bounds are for the vanilla RNN; the GRU's update gate z passes dL/dh_t straight to h_{t-1} (z dh)",
    };
  }
  const gamma = activationGamma(input.activation, input.slope);
  const sigmaMax = sv[0]!.values[0] ?? 0;
  const p = pascanuBounds(sigmaMax, gamma);
  const linear =
    input.activation === "identity" &&
    input.orthogonalGain !== null &&
    input.orthogonalGain !== undefined;
  const verdict = p.vanishingGuaranteed
    ? "vanishing is guaranteed"
    : p.explodingPossible
      ? "exploding is possible (necessary condition met)"
      : "at the boundary";
  return {
    kind: input.kind,
    singularValues: sv,
    pascanu: p,
    boundProfile: stepProfile(p.perStepBound, input.seqLen),
    linearProfile: linear ? linearProfile(input.orthogonalGain!, input.seqLen) : null,
    forgetGateFactor: null,
    note: `sigma_max(W_hh) = ${sigmaMax.toPrecision(4)}, 1/gamma = ${p.threshold} (${input.activation}): ${verdict}`,
  };
}
