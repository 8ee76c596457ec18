/** Diagnosis as data: (measurements) -> findings with evidence numbers and ranked remedies. */

export { contradictions } from "./consistency.ts";
export type { DiagnosisContext } from "./context.ts";
export { buildContext } from "./context.ts";
export { diagnose } from "./diagnose.ts";
export { diagnoseProbe, type ProbeLike } from "./diagnose-probe.ts";
export { type RemedyPick, rankRemedies } from "./rank-remedies.ts";
export { PRIMARY_OF } from "./reconcile.ts";
export { REMEDIES, type RemedyDefinition } from "./remedies.ts";
export type { Detection, Rule } from "./rule.ts";
export { RULES } from "./rules.ts";
export { THRESHOLDS } from "./thresholds.ts";
export type {
  Diagnosis,
  DiagnosisConfig,
  DiagnosisInput,
  Evidence,
  ExplosionInfo,
  Finding,
  FindingId,
  Remedy,
  RemedyId,
  Severity,
  Snapshot,
  SnapshotLayer,
  TrainChange,
  TrainingContext,
} from "./types.ts";
