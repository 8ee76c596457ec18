import type { DiagnosisContext } from "./context.ts";
import type { RemedyPick } from "./rank-remedies.ts";
import type { Evidence, FindingId, Severity, SnapshotLayer } from "./types.ts";

/** A quantity a rule reads: a per-layer metric, the loss, or the global gradient norm. */
export type Quantity = keyof SnapshotLayer | "loss" | "gradNorm";

/** What a rule found: where, and the numbers. Rules extend it with what their text needs. */
export interface Detection {
  layers: number[];
  steps: number[];
  evidence: Evidence[];
}

/**
 * One row of the RULES table. `applies` measures and returns a detection (null: nothing
 * found); the other functions turn that detection into the finding's severity, title, cause
 * and remedies (most applicable first; rankRemedies filters and numbers them).
 */
export interface Rule<D extends Detection = Detection> {
  id: FindingId;
  /** What the rule looks for, with its thresholds (for docs and help). */
  description: string;
  /**
   * The quantities it reads: a run that has none of one of them (an imported run may lack
   * some) gets "not measurable here" for this rule instead of a silent pass.
   */
  needs: readonly Quantity[];
  /**
   * A narrower way to judge when `needs` is not all there: the rule still runs if these are,
   * and the diagnosis lists it as partly measurable, judged from `from` only (exploding
   * gradients show in the global gradient norm and in NaN/Inf without any per-layer dL/dz).
   */
  fallback?: { needs: readonly Quantity[]; from: string };
  applies(ctx: DiagnosisContext): D | null;
  severity(detection: D): Severity;
  title(detection: D, ctx: DiagnosisContext): string;
  cause(ctx: DiagnosisContext, detection: D): string;
  remedies(ctx: DiagnosisContext, detection: D): RemedyPick[];
  /** Which way the condition goes, when a rule has two (updates too "small" or too "large"). */
  variant?(detection: D): string;
}

/**
 * Erase a rule's detection type so rules of different detections share one table. Safe:
 * a rule's functions only ever receive the detection its own `applies` returned.
 */
export function defineRule<D extends Detection>(rule: Rule<D>): Rule {
  return rule as unknown as Rule;
}

/** One level lower: a condition that no longer holds at the last recorded step. */
export function downgrade(severity: Severity, resolved: boolean): Severity {
  if (!resolved) return severity;
  return severity === "critical" ? "warning" : "info";
}
