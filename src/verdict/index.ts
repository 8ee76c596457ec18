/**
 * The verdict: one function per kind of record decides the one-word health of a gradient
 * path, for every face (probe, train, compare, doctor, report, lab, imported runs). The
 * diagnosis (src/diagnose) reads the same judgments, so the two cannot disagree.
 */
export {
  type FlowMeasures,
  type FlowPoint,
  fitFactor,
  fitStart,
  measuredSpan,
  measureFlow,
  type PointUnit,
} from "./flow-measures.ts";
export {
  conditionSeverity,
  type FlowCondition,
  type FlowJudgment,
  judgeFlow,
  judgeMeasures,
  VERDICT_PRIORITY,
  type Verdict,
  type VerdictSeverity,
} from "./flow-verdict.ts";
export {
  type GradientGrowth,
  gradientGrowth,
  type JudgedStep,
  judgeRun,
  type RunExplosion,
  type RunJudgment,
  type RunJudgmentInput,
} from "./run-verdict.ts";
export { fitPerLayerFactor, layerPoint, type ProbeSummary, summarize } from "./summary.ts";
export { VERDICT_THRESHOLDS } from "./thresholds.ts";
export { RunVerdictTracker } from "./tracker.ts";
