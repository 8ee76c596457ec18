import type { Param } from "../layers/layer.ts";
import { gradNorm } from "./grad-norm.ts";

/** Multiplies the gradients of params[from..to) by `factor` in place (float64 product). */
export function scaleGrads(params: readonly Param[], from: number, to: number, factor: number) {
  for (let i = from; i < to; i++) {
    const g = params[i]!.grad;
    const d = g.data;
    for (let j = 0, n = g.size; j < n; j++) d[j] = d[j]! * factor;
  }
}

/** True when every gradient entry of params[from..to) is finite. */
export function gradsFinite(params: readonly Param[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const g = params[i]!.grad;
    const d = g.data;
    for (let j = 0, n = g.size; j < n; j++) if (!Number.isFinite(d[j]!)) return false;
  }
  return true;
}

/**
 * Rescales the gradients of params[from..to), whose joint norm is `norm`, so that the norm is
 * at most `maxNorm`: when norm > maxNorm they are multiplied by maxNorm / (norm + 1e-6)
 * (torch.nn.utils.clip_grad_norm_'s factor). Returns the factor applied: 1 when left alone,
 * NaN when an entry is NaN or infinite (left alone: that is an explosion to report, not clip).
 * A norm that overflowed float64 with finite entries is handled by first scaling by 2^-512
 * (exact), so huge but finite gradients still end at norm maxNorm.
 */
export function clipToNorm(
  params: readonly Param[],
  from: number,
  to: number,
  maxNorm: number,
  norm: number,
): number {
  if (Number.isNaN(norm)) return Number.NaN;
  if (norm === Infinity) {
    if (!gradsFinite(params, from, to)) return Number.NaN;
    if (maxNorm === Infinity) return 1;
    const pre = 2 ** -512;
    scaleGrads(params, from, to, pre);
    const factor = maxNorm / gradNorm(params, from, to);
    scaleGrads(params, from, to, factor);
    return pre * factor;
  }
  if (!(norm > maxNorm)) return 1;
  const factor = maxNorm / (norm + 1e-6);
  scaleGrads(params, from, to, factor);
  return factor;
}

/** Throws unless `maxNorm` is > 0 (Infinity allowed: never clip). */
export function checkMaxNorm(name: string, maxNorm: number): void {
  if (!(maxNorm > 0)) throw new RangeError(`${name} must be > 0, got ${maxNorm}`);
}
