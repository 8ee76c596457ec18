/**
 * Layer-by-layer mean-field prediction for a plain network with batch norm in training mode,
 * the block order of src/core/layers/hidden-block.ts:
 *   z^l = W^l a^{l-1} + b^l,  u^l = BN(z^l) (gamma 1, beta 0),  a^l = phi(u^l),  a^0 = x,
 * probed with the random-projection loss L = sum R a^L, R ~ N(0, 1) independent per entry.
 *
 * Infinite width and gradient independence (Yang et al. 2019, "A mean field theory of batch
 * normalization"), but the batch size B is finite and every boundary layer is kept exact:
 * the derivation is in docs/THEORY.md ("Batch normalization: the per-layer profile").
 */

/** Activations with a closed-form batch-norm profile. */
export type BatchNormActivation = "identity" | "relu";

export interface BatchNormProfileOptions {
  activation: BatchNormActivation;
  /** Effective sigma_w^2 = fan_in * Var(W_ij). */
  weightVar: number;
  biasVar: number;
  depth: number;
  /** Batch size B of the training-mode batch statistics, >= 4. */
  batch: number;
  /** Batch norm's eps (added to the batch variance). Default 1e-5, as in the core layer. */
  eps?: number;
  /** Mean of x^2 over input entries; inputs are i.i.d. over the batch. Default 1. */
  inputMeanSq?: number;
}

export interface BatchNormLayerPrediction {
  /** 1-based, from the input side. */
  layer: number;
  /** Mean of (z^l)^2, z before normalization (the probe's q). */
  q: number;
  /** Mean of (dL/dz^l)^2, z before normalization (the probe's gradPreactMeanSq). */
  gradPreactMeanSq: number;
  /** gradPreactMeanSq_l / gradPreactMeanSq_{l+1} (NaN at the top layer). */
  factor: number;
  /** Expected 1 / (batch variance of z^l + eps): batch norm's backward scale squared. */
  invVar: number;
}

/** ReLU arc-cosine kernel E[relu(X) relu(Y)] for unit-variance X, Y with correlation rho. */
function reluKernel(rho: number): number {
  return (Math.sqrt(1 - rho * rho) + (Math.PI - Math.acos(rho)) * rho) / (2 * Math.PI);
}

/** Pieces of the profile that depend on the activation and B only (see docs/THEORY.md). */
interface ActivationTerms {
  /** E[phi(u)^2] per unit u of the BN output (before the eps shrink). */
  phiMeanSq: number;
  /** c_d: the excess of the diagonal over the off-diagonal of the Gram of phi(u). */
  gramSpread: number;
  /** E tr(D Q D) and E tr(D Q D P): the backward projection's trace for gradient covariance
   *  I (random-projection top) and P (centered, every lower layer). */
  traceTop: number;
  traceCentered: number;
}

function activationTerms(activation: BatchNormActivation, B: number): ActivationTerms {
  // In mean field the BN output of one unit over the batch is u = sqrt(B) y / |y| with
  // y ~ N(0, P), P = I - 11^T/B: uniform on the centered sphere, whatever the layer below.
  // Pairs of entries therefore have correlation rho = -1/(B-1).
  const rho = -1 / (B - 1);
  if (activation === "identity") {
    // Gram of u: 1 on the diagonal, rho off it. D = I, Q = P - u u^T / B is a projector of
    // rank B - 2 inside the centered subspace, so both traces are B - 2.
    return { phiMeanSq: 1, gramSpread: 1 - rho, traceTop: B - 2, traceCentered: B - 2 };
  }
  // relu: D = diag(1[u > 0]). relu(u_b) relu(u_b') is homogeneous of degree 2, so its
  // expectation on the sphere is B / E|y|^2 = B / (B-1) times the Gaussian one.
  const offDiag = reluKernel(rho);
  const traceTop = (B - 2) / 2; // sum_b E[1[u_b>0] Q_bb], Q_bb = 1 - 1/B - u_b^2/B
  // E[d^T Q d] for d = D 1: n+ - n+^2/B - (sum_b relu(u_b))^2/B.
  const bothPositive = 0.25 + Math.asin(rho) / (2 * Math.PI);
  const nPlusSq = B / 2 + B * (B - 1) * bothPositive;
  const reluSumSq = B / 2 + B * (B - 1) * offDiag;
  const dQd = B / 2 - nPlusSq / B - reluSumSq / B;
  return {
    phiMeanSq: 0.5,
    gramSpread: 0.5 - offDiag,
    traceTop,
    traceCentered: traceTop - dQd / B,
  };
}

/**
 * Predicted q and E[(dL/dz)^2] per layer for a batch-norm network (see the module comment).
 * The gradient is absolute, not anchored: R fixes the top, as in predictProfile.
 */
export function predictBatchNormProfile(
  options: BatchNormProfileOptions,
): BatchNormLayerPrediction[] {
  const { activation, weightVar, biasVar, depth, batch: B } = options;
  const eps = options.eps ?? 1e-5;
  const inputMeanSq = options.inputMeanSq ?? 1;
  if (!Number.isInteger(depth) || depth < 1) {
    throw new RangeError(`depth must be a positive integer, got ${depth}`);
  }
  if (!Number.isInteger(B) || B < 4) {
    // E[1 / chi^2_{B-1}] = 1 / (B - 3) is infinite for B <= 3.
    throw new RangeError(`batch-norm profile needs a batch of at least 4, got ${B}`);
  }
  if (!(weightVar > 0) || !(biasVar >= 0) || !(eps >= 0) || !(inputMeanSq > 0)) {
    throw new RangeError(
      `batch-norm profile: need weightVar > 0, biasVar >= 0, eps >= 0, inputMeanSq > 0`,
    );
  }
  const t = activationTerms(activation, B);

  // Forward. The bias is removed by the batch mean, so it enters q only. The centered part of
  // z^l over the batch, P z, is N(0, weightVar * spread * P) with spread the Gram's c_d of
  // the layer below (inputs: i.i.d., c_d = inputMeanSq); its squared norm / B is the batch
  // variance v ~ weightVar * spread * chi^2_{B-1} / B, independent of the direction u.
  const q: number[] = [];
  const invVar: number[] = [];
  let prevMeanSq = inputMeanSq; // mean of (a^{l-1})^2
  let spread = inputMeanSq;
  for (let l = 1; l <= depth; l++) {
    q.push(weightVar * prevMeanSq + biasVar);
    const scale = weightVar * spread; // v = scale * chi^2_{B-1} / B
    // E[1/v] = B / (scale (B - 3)); eps shifts it by O(eps / v), first order below.
    let inv = B / (scale * (B - 3));
    if (B > 5) inv -= (eps * B * B) / (scale * scale * (B - 3) * (B - 5));
    invVar.push(inv);
    // u has batch variance v / (v + eps) rather than 1: shrink the second moments.
    const meanV = (scale * (B - 1)) / B;
    const shrink = meanV / (meanV + eps);
    prevMeanSq = t.phiMeanSq * shrink;
    spread = t.gramSpread * shrink;
  }

  // Backward. H^l = covariance over the batch of one unit's dL/da^l: I at the top (R), and
  // h_l P below (dz is centered). Per unit, E|dz|^2 = E[1/v] h T with T the projection trace,
  // and H^{l-1} = weightVar E[1/v] h T / (B - 1) P.
  const rows: BatchNormLayerPrediction[] = [];
  let h = 1;
  for (let l = depth; l >= 1; l--) {
    const trace = l === depth ? t.traceTop : t.traceCentered;
    const inv = invVar[l - 1]!;
    rows.push({
      layer: l,
      q: q[l - 1]!,
      gradPreactMeanSq: (inv * h * trace) / B,
      factor: Number.NaN,
      invVar: inv,
    });
    h = (weightVar * inv * h * trace) / (B - 1);
  }
  rows.reverse();
  for (let i = 0; i + 1 < rows.length; i++) {
    rows[i]!.factor = rows[i]!.gradPreactMeanSq / rows[i + 1]!.gradPreactMeanSq;
  }
  return rows;
}

/** The per-layer factor of E[(dL/dz)^2] between two interior layers (both above layer 1). */
export function batchNormInteriorFactor(activation: BatchNormActivation, batch: number): number {
  if (!(Number.isInteger(batch) && batch >= 4)) return Number.NaN;
  const t = activationTerms(activation, batch);
  return (batch * t.traceCentered) / ((batch - 1) * (batch - 3) * t.gramSpread);
}
