import { type FlowJudgment, fmt, type Verdict, type VerdictSeverity } from "./flow-verdict.ts";
import { VERDICT_THRESHOLDS as T } from "./thresholds.ts";

/** One recorded step of a run as the run verdict reads it. */
export interface JudgedStep {
  step: number;
  /** judgeFlow of the step's points. */
  flow: FlowJudgment;
  /** Global L2 norm of every parameter gradient (readout included), when recorded. */
  gradNorm?: number;
  /** No NaN/Inf anywhere in the step (points, loss, gradient norm). */
  finite: boolean;
  /** The step's (minibatch) loss, when recorded. */
  loss?: number;
}

/** Where a run first met NaN/Inf. */
export interface RunExplosion {
  step: number;
  /** 1-based point (layer), or null for the loss, the output or the readout. */
  layer: number | null;
  /** What held it first, in words ("dL/dz", "the loss", ...). */
  where: string;
}

export interface RunJudgmentInput {
  /** Recorded steps, in any order (a probe is one step, numbered 0). */
  steps: readonly JudgedStep[];
  /** First step with NaN/Inf anywhere (snapshots, the loss history, the trainer), or null. */
  nonFiniteStep: number | null;
  explosion?: RunExplosion | null;
}

/** The global gradient norm's largest growth over the first finite recorded step. */
export interface GradientGrowth {
  from: { step: number; norm: number };
  to: { step: number; norm: number };
  factor: number;
}

export interface RunJudgment {
  verdict: Verdict;
  severity: VerdictSeverity;
  message: string;
  /** The flow verdict of the first and the last finite recorded steps. */
  initial: FlowJudgment | null;
  final: FlowJudgment | null;
  /** Step of the last finite record. */
  finalStep: number | null;
  growth: GradientGrowth | null;
  /**
   * The run learned while its gradient flow was healthy at the start: the loss fell to at most
   * convergedLoss of its first value and the global gradient norm did not grow. A profile that
   * tilts only at the end of such a run belongs to a converged network (few examples still
   * carry gradient), not to a gradient pathology.
   */
  converged: boolean;
}

/** A run's loss fell to at most this share of its first value: it learned. */
export const CONVERGED_LOSS = 0.5;

/** Final verdicts that a chaotic start turns into (saturation ends an explosion). */
const SHRUNK: readonly string[] = ["vanishing", "underflow", "signal-collapse"];
/** A final verdict that is only a tilt of the profile (not overflow, nor a blocked path). */
function tilts(j: FlowJudgment): boolean {
  const m = j.measures;
  return (
    (j.verdict === "vanishing" || j.verdict === "exploding") &&
    m.blockedAt === 0 &&
    !m.noGradient &&
    m.overflowPoints.length === 0
  );
}

function learned(first: JudgedStep, last: JudgedStep): boolean {
  const a = first.loss;
  const b = last.loss;
  if (a === undefined || b === undefined || !(a > 0) || !Number.isFinite(b)) return false;
  const normFell =
    first.gradNorm === undefined || last.gradNorm === undefined || last.gradNorm <= first.gradNorm;
  return b <= CONVERGED_LOSS * a && normFell;
}

/**
 * The largest later global gradient norm over the first finite one, when above the
 * growthExploding cut (null otherwise or without norms).
 */
export function gradientGrowth(steps: readonly JudgedStep[]): GradientGrowth | null {
  const finite = steps.filter(
    (s) => s.finite && s.gradNorm !== undefined && Number.isFinite(s.gradNorm),
  );
  const first = finite[0];
  if (!first || !(first.gradNorm! > 0)) return null;
  let top = first;
  for (const s of finite.slice(1)) if (s.gradNorm! > top.gradNorm!) top = s;
  const factor = top.gradNorm! / first.gradNorm!;
  if (!(factor > T.growthExploding)) return null;
  return {
    from: { step: first.step, norm: first.gradNorm! },
    to: { step: top.step, norm: top.gradNorm! },
    factor,
  };
}

/**
 * The verdict of a run (or of a probe, its single step): the history decides before the
 * latest state, because a run that blew up is exploded whatever its last finite step looked
 * like (a diverged net often shows vanishing, saturated gradients just before NaN).
 * 1. NaN/Inf at some step: exploded (critical), with the step and where;
 * 2. the global gradient norm grew over growthExploding: exploding;
 * 3. the last finite step's flow verdict when it is not healthy;
 * 4. healthy (saying so when the first step was not).
 * A probe (one step at 0, no history) gets its flow verdict unchanged, non-finite included.
 */
export function judgeRun(input: RunJudgmentInput): RunJudgment {
  const steps = [...input.steps].sort((a, b) => a.step - b.step);
  const finite = steps.filter((s) => s.finite);
  const initial = finite[0]?.flow ?? null;
  const last = finite[finite.length - 1] ?? null;
  const final = last?.flow ?? null;
  const growth = gradientGrowth(steps);
  const first = finite[0];
  const converged =
    first !== undefined &&
    last !== null &&
    last !== first &&
    initial?.verdict === "healthy" &&
    growth === null &&
    learned(first, last);
  const base = { initial, final, finalStep: last?.step ?? null, growth, converged };
  const isProbe = steps.length <= 1 && (steps[0]?.step ?? 0) === 0 && !input.explosion;

  if (isProbe && steps[0]) {
    const flow = steps[0].flow;
    if (input.nonFiniteStep !== null && flow.verdict === "healthy") {
      // every point finite, yet the loss or the gradient norm overflowed
      return {
        ...base,
        verdict: "non-finite",
        severity: "critical",
        message: "non-finite: the loss or the gradient norm overflowed to NaN/Inf",
      };
    }
    return { ...base, verdict: flow.verdict, severity: flow.severity, message: flow.message };
  }
  if (input.nonFiniteStep !== null) {
    const e = input.explosion?.step === input.nonFiniteStep ? input.explosion : null;
    const where = e ? ` in ${e.where}${e.layer !== null ? ` of layer ${e.layer}` : ""}` : "";
    const grew = growth
      ? `, after the gradient norm grew ${fmt(growth.factor)}x from step ${growth.from.step} to step ${growth.to.step}`
      : "";
    return {
      ...base,
      verdict: "exploded",
      severity: "critical",
      message: `exploded: NaN/Inf at step ${input.nonFiniteStep}${where}${grew}`,
    };
  }
  if (growth) {
    return {
      ...base,
      verdict: "exploding",
      severity: growth.factor > T.growthCriticalExploding ? "critical" : "warning",
      message: `exploding: the global gradient norm grew ${fmt(growth.factor)}x from step ${growth.from.step} to step ${growth.to.step} (${fmt(growth.from.norm)} to ${fmt(growth.to.norm)})`,
    };
  }
  if (final && initial && initial.verdict === "exploding" && SHRUNK.includes(final.verdict)) {
    // chaotic at the start, saturated by the end: the explosion is the cause (the gradient
    // then vanishes through saturated units), as the diagnosis attaches vanishing to it
    return {
      ...base,
      verdict: "exploding",
      severity: "critical",
      message: `exploding: ${initial.message.replace(/^exploding: /, "")} at step ${first!.step}; by step ${last!.step} the network has saturated and the gradient ${final.verdict === "vanishing" ? "vanishes" : `shows ${final.verdict}`}`,
    };
  }
  if (final && final.verdict !== "healthy" && converged && tilts(final)) {
    return {
      ...base,
      verdict: "healthy",
      severity: "ok",
      message: `healthy: the run converged (loss ${fmt(first!.loss!)} at step ${first!.step}, ${fmt(last!.loss!)} at step ${last!.step}) with a healthy gradient flow at the start; the last step's profile (${final.message.replace(/^[a-z-]+: /, "")}) is that of a trained network`,
    };
  }
  if (final && final.verdict !== "healthy") {
    return {
      ...base,
      verdict: final.verdict,
      severity: final.severity,
      message: `${final.message} (at step ${last!.step})`,
    };
  }
  if (final) {
    const was =
      initial && initial.verdict !== "healthy"
        ? ` (${initial.verdict} at step ${finite[0]!.step})`
        : "";
    return {
      ...base,
      verdict: "healthy",
      severity: "ok",
      message: `${final.message} at step ${last!.step}${was}`,
    };
  }
  return {
    ...base,
    verdict: "not-judged",
    severity: "ok",
    message: "not-judged: nothing recorded",
  };
}
