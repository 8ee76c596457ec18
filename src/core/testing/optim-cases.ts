/**
 * Shared cases and checks for the optimizer-step kernels (native and WebAssembly) against the
 * TypeScript loops (adamStepTs, momentumStepTs). For tests only.
 */
import { expect } from "vitest";
import type { FloatArray } from "../dtype.ts";
import { Rng } from "../rng.ts";
import { summationBound } from "./summation.ts";

/** Standard normal entries times `scale`, float32 or float64. */
export function sampleArray(f32: boolean, n: number, seed: number, scale = 1): FloatArray {
  const x = f32 ? new Float32Array(n) : new Float64Array(n);
  new Rng(seed).fillNormal(x);
  for (let i = 0; i < n; i++) x[i] = x[i]! * scale;
  return x;
}

/** Adam / AdamW steps that reach every branch of the loop (L2, decoupled decay, both lerps). */
export const ADAM_CASES = [
  { name: "adam, step 1", w1: 0.1, beta2: 0.999, t: 1, lr: 1e-3, l2: 0, decay: 1 },
  { name: "adam with L2, step 7", w1: 0.1, beta2: 0.999, t: 7, lr: 1e-2, l2: 0.01, decay: 1 },
  { name: "adamw, step 3", w1: 0.1, beta2: 0.99, t: 3, lr: 1e-3, l2: 0, decay: 1 - 1e-3 * 0.01 },
  { name: "beta1 0.3 (lerp's other formula)", w1: 0.7, beta2: 0.9, t: 2, lr: 0.1, l2: 0, decay: 1 },
] as const;

/** KernelProvider.adamStep's hyperparameters for a case. */
export function adamHyper(c: (typeof ADAM_CASES)[number]): Float64Array {
  return Float64Array.of(
    c.w1,
    c.beta2,
    1 - c.beta2,
    1e-8,
    c.lr / (1 - (1 - c.w1) ** c.t),
    Math.sqrt(1 - c.beta2 ** c.t),
    c.l2,
    c.decay,
  );
}

/** [momentum, weight decay, nesterov]: momentum, Nesterov with decay, decay without a buffer. */
export const MOMENTUM_CASES = [
  [0.9, 0, 0],
  [0.9, 1e-4, 1],
  [0, 5e-4, 0],
] as const;

/**
 * A step's sums [sum e, sum e^2, sum x_new, sum x_new^2] against TypeScript's, within the
 * summation bound for n terms (each |e| <= sqrt(sum e^2), so the |e| sum to at most n times it).
 */
export function expectStepSums(
  got: Float64Array,
  want: Float64Array,
  n: number,
  x: FloatArray,
  what: string,
): void {
  let mag = 0;
  for (let i = 0; i < n; i++) mag += Math.abs(x[i]!);
  const bound = (scale: number): number => summationBound(n, scale);
  expect(Math.abs(got[1]! - want[1]!), `${what} sum e^2`).toBeLessThanOrEqual(bound(want[1]!));
  expect(Math.abs(got[2]! - want[2]!), `${what} sum x`).toBeLessThanOrEqual(bound(mag));
  expect(Math.abs(got[3]! - want[3]!), `${what} sum x^2`).toBeLessThanOrEqual(bound(want[3]!));
  expect(Math.abs(got[0]! - want[0]!), `${what} sum e`).toBeLessThanOrEqual(
    bound(n * Math.sqrt(want[1]!)),
  );
}
