import type { DType } from "../core/dtype.ts";
import { type FlowMeasures, type FlowPoint, measureFlow, type PointUnit } from "./flow-measures.ts";
import { VERDICT_THRESHOLDS as T } from "./thresholds.ts";

/**
 * The verdict: one word for the health of a gradient path, decided by judgeFlow (one
 * snapshot) or judgeRun (a training run) and nowhere else.
 * - non-finite: NaN/Inf in a snapshot (a probe at initialization);
 * - exploded: a training run that hit NaN/Inf (its explosion step and place are in the message);
 * - exploding / vanishing: the backward mean-square gradient grows / shrinks toward the input
 *   beyond the span thresholds, or overflows / is blocked at exactly zero;
 * - underflow: the gradient was rounded to zero (or is about to be) by the dtype;
 * - signal-blowup / signal-collapse: the forward signal q grows / shrinks with depth while the
 *   backward gradient is still in range;
 * - not-judged: the points carry no mean-square gradient (an imported run with weight
 *   gradients only) and nothing else is wrong: neither healthy nor sick, unmeasured;
 * - healthy: none of the above.
 */
export type Verdict =
  | "healthy"
  | "vanishing"
  | "exploding"
  | "exploded"
  | "signal-collapse"
  | "signal-blowup"
  | "non-finite"
  | "underflow"
  | "not-judged";

/** Every condition that holds in a snapshot; the verdict is the first by VERDICT_PRIORITY. */
export type FlowCondition = Exclude<Verdict, "healthy" | "exploded">;

/** Which condition names the verdict when several hold (the cause before its symptoms). */
export const VERDICT_PRIORITY: readonly FlowCondition[] = [
  "non-finite",
  "exploding",
  "vanishing",
  "underflow",
  "signal-blowup",
  "signal-collapse",
  "not-judged",
];

export type VerdictSeverity = "ok" | "warning" | "critical";

export interface FlowJudgment {
  verdict: Verdict;
  /** How bad: critical when the condition stops learning outright. */
  severity: VerdictSeverity;
  /** Every condition found, in priority order (the verdict's first). */
  conditions: FlowCondition[];
  measures: FlowMeasures;
  /** One sentence for people, starting with the verdict word. */
  message: string;
}

/** 1-based lists as ranges: [1, 2, 3, 7] -> "1-3, 7". */
export function ranges(points: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < points.length; ) {
    let j = i;
    while (j + 1 < points.length && points[j + 1] === points[j]! + 1) j++;
    parts.push(j > i ? `${points[i]}-${points[j]}` : String(points[i]));
    i = j + 1;
  }
  return parts.join(", ");
}

/** A number in three significant digits, exponent form outside [1e-3, 1e4). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

const plural = (unit: PointUnit, n: number): string =>
  n === 1 ? unit : unit === "time step" ? "time steps" : `${unit}s`;

function conditionsOf(m: FlowMeasures): FlowCondition[] {
  const found = new Set<FlowCondition>();
  if (m.nonfinitePoints.length > 0) found.add("non-finite");
  if (m.overflowPoints.length > 0 || m.span > T.explodingSpan) found.add("exploding");
  if (m.span < T.vanishingSpan || m.blockedAt > 0 || m.noGradient) found.add("vanishing");
  if (m.underflowPoints.length > 0 || m.nearUnderflowPoints.length > 0) found.add("underflow");
  if (m.signalRatio > T.signalBlowup) found.add("signal-blowup");
  if (m.signalRatio < T.signalCollapse) found.add("signal-collapse");
  if (found.size === 0 && !m.gradientMeasured && m.depth > 0) found.add("not-judged");
  return VERDICT_PRIORITY.filter((c) => found.has(c));
}

/** How bad one condition (or the verdict it names) is, from the same measures. */
export function conditionSeverity(verdict: Verdict, m: FlowMeasures): VerdictSeverity {
  switch (verdict) {
    case "healthy":
    case "not-judged":
      return "ok";
    case "non-finite":
    case "exploded":
    case "underflow":
      return "critical";
    case "exploding":
      return m.overflowPoints.length > 0 || m.span > T.explodingCriticalSpan
        ? "critical"
        : "warning";
    case "vanishing":
      return m.noGradient || m.blockedAt > 0 || m.span < T.vanishingCriticalSpan
        ? "critical"
        : "warning";
    default:
      return "warning";
  }
}

/** The sentence of a snapshot's verdict. */
function describe(verdict: Verdict, m: FlowMeasures, unit: PointUnit): string {
  const L = m.depth;
  const last = `${unit} ${L}`;
  const per = Number.isFinite(m.factor) ? `${fmt(m.factor)} per ${unit}` : "";
  // a gradient through time travels back in time, not down the layers
  const down = unit === "time step" ? "back to" : "down to";
  switch (verdict) {
    case "non-finite":
      return `non-finite: NaN/Inf in ${plural(unit, m.nonfinitePoints.length)} ${ranges(m.nonfinitePoints)}: the signal or gradient overflowed`;
    case "exploding":
      if (m.overflowPoints.length > 0)
        return `exploding: the mean square of the signal or gradient reaches the float limit in ${plural(unit, m.overflowPoints.length)} ${ranges(m.overflowPoints)}`;
      return `exploding: the mean-square gradient grows ${fmt(m.span)}x from ${last} ${down} ${unit} ${m.fitFrom} (${per})`;
    case "vanishing":
      if (m.noGradient) return `vanishing: every ${unit}'s weight gradient is exactly zero`;
      if (m.blockedAt > 0 && !(m.span < T.vanishingSpan))
        return `vanishing: the gradient is exactly zero at ${unit} ${m.blockedAt} and below it nothing learns`;
      return `vanishing: the mean-square gradient shrinks ${fmt(1 / m.span)}x from ${last} ${down} ${unit} ${m.fitFrom} (${per})${m.underflowPoints.length > 0 ? ` and underflows to zero in ${plural(unit, m.underflowPoints.length)} ${ranges(m.underflowPoints)}` : ""}`;
    case "underflow":
      return m.underflowPoints.length > 0
        ? `underflow: the gradient was rounded to zero in ${plural(unit, m.underflowPoints.length)} ${ranges(m.underflowPoints)}`
        : `underflow: the gradient is at the edge of the smallest normal number in ${plural(unit, m.nearUnderflowPoints.length)} ${ranges(m.nearUnderflowPoints)}`;
    case "signal-blowup":
      return `signal-blowup: the forward signal q grows ${fmt(m.signalRatio)}x from ${unit} ${m.fitFrom} to ${last} while the gradient stays in range (${per})`;
    case "signal-collapse":
      return `signal-collapse: the forward signal q falls to ${fmt(m.signalRatio)} of ${unit} ${m.fitFrom}'s by ${last} while the gradient stays in range (${per})`;
    case "not-judged":
      return `not-judged: no ${unit} carries the mean-square gradient dL/dz, so vanishing and exploding across ${plural(unit, 2)} cannot be judged; nothing else measured is wrong (no NaN/Inf, no overflow or underflow)`;
    case "healthy":
      return `healthy: the mean-square gradient changes ${fmt(m.span)}x from ${last} ${down} ${unit} ${m.fitFrom} (${per}); forward signal ratio ${fmt(m.signalRatio)}`;
    case "exploded":
      return "exploded";
  }
}

/** The verdict of measured flow (the measures of one snapshot). */
export function judgeMeasures(m: FlowMeasures, unit: PointUnit = "layer"): FlowJudgment {
  const conditions = conditionsOf(m);
  const verdict: Verdict = conditions[0] ?? "healthy";
  const extra = conditions.slice(1);
  const also = extra.length > 0 ? `; also ${extra.join(", ")}` : "";
  return {
    verdict,
    severity: conditionSeverity(verdict, m),
    conditions,
    measures: m,
    message: describe(verdict, m, unit) + also,
  };
}

/** The verdict of one snapshot's points (layers, time steps or blocks). */
export function judgeFlow(
  points: readonly FlowPoint[],
  options: { dtype?: DType; unit?: PointUnit } = {},
): FlowJudgment {
  return judgeMeasures(measureFlow(points, options.dtype ?? "f64"), options.unit ?? "layer");
}
