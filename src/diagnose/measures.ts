import { fitPerLayerFactor } from "../verdict/summary.ts";
import type { Snapshot, SnapshotLayer } from "./types.ts";

/** Measurements shared by several rules, read from snapshots. */

/**
 * Only ReLU-family units die: their derivative is exactly 0 on a half-line. A tanh or sigmoid
 * unit with phi' = 0 has saturated (its derivative underflowed), which is not "dead".
 */
export function unitsCanDie(config: { activation: string; slope: number }): boolean {
  return config.activation === "relu" || (config.activation === "leaky-relu" && config.slope === 0);
}

/** No NaN/Inf in any layer's metrics, in the loss or in the global gradient norm. */
export function isFiniteSnapshot(s: Snapshot): boolean {
  if (s.loss !== undefined && !Number.isFinite(s.loss)) return false;
  if (s.gradNorm !== undefined && !Number.isFinite(s.gradNorm)) return false;
  return s.layers.every((m) => m.nonfinite === 0 && Number.isFinite(m.gradWeightNorm));
}

/** gradWeightNorm of layer 1 over that of layer L (layers sorted by index). */
export function firstToLastRatio(layers: readonly SnapshotLayer[]): number {
  const first = layers[0];
  const last = layers[layers.length - 1];
  if (!first || !last || layers.length < 2) return Number.NaN;
  return first.gradWeightNorm / last.gradWeightNorm;
}

export interface GradientProfile {
  /** gradWeightNorm of layer 1 / layer L. */
  ratio: number;
  /** Fitted per-layer factor of gradPreactMeanSq (probe/summary.ts fitPerLayerFactor). */
  factor: number;
  /** factor^(L-1): the mean-square gradient's change from layer L down to layer 1 (NaN if no fit). */
  span: number;
}

/** The gradient-flow numbers of one snapshot (layers sorted by index). */
export function gradientProfile(layers: readonly SnapshotLayer[]): GradientProfile {
  const factor = fitPerLayerFactor(layers);
  return {
    ratio: firstToLastRatio(layers),
    factor,
    span: layers.length > 1 ? factor ** (layers.length - 1) : Number.NaN,
  };
}

/** sqrt(sum over layers of gradWeightNorm^2): the norm of all hidden weight gradients. */
export function totalGradNorm(layers: readonly SnapshotLayer[]): number {
  const big = Math.max(0, ...layers.map((m) => m.gradWeightNorm));
  if (!(big > 0) || !Number.isFinite(big)) return big;
  let s = 0;
  for (const m of layers) s += (m.gradWeightNorm / big) ** 2;
  return big * Math.sqrt(s);
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((s, v) => s + v, 0) / xs.length;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Hit<T> {
  snapshot: Snapshot;
  value: T;
}

/**
 * Apply a per-snapshot test to every snapshot (in step order). `latest` is the last snapshot
 * where the test held, the one a finding describes; `resolved` says the condition no longer
 * holds at the last snapshot (rules then report it one severity lower).
 */
export function scanSnapshots<T>(
  snapshots: readonly Snapshot[],
  test: (s: Snapshot) => T | null,
): { hits: Hit<T>[]; latest: Hit<T>; resolved: boolean } | null {
  const hits: Hit<T>[] = [];
  for (const snapshot of snapshots) {
    const value = test(snapshot);
    if (value !== null) hits.push({ snapshot, value });
  }
  const latest = hits[hits.length - 1];
  if (!latest) return null;
  return { hits, latest, resolved: latest.snapshot !== snapshots[snapshots.length - 1] };
}
