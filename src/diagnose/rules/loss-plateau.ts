import type { DiagnosisContext } from "../context.ts";
import { vanishingPicks } from "../gradient-flow.ts";
import { isFiniteSnapshot, mean, median, unitsCanDie } from "../measures.ts";
import type { RemedyPick } from "../rank-remedies.ts";
import { type Detection, defineRule } from "../rule.ts";
import { num, pct, sci } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";

interface PlateauDetection extends Detection {
  improvement: number;
  initial: number;
  tailStart: number;
  tailEnd: number;
  from: number;
  to: number;
  /** The loss went up by more than lossRise: diverging rather than flat. */
  rising: boolean;
  stuck: boolean;
}

/** What else the snapshots say that can stall the loss (for the cause and the remedies). */
interface Signals {
  /** E[dz^2] at layer 2 over layer L at the last finite snapshot (the verdict's span). */
  vanishingSpan: number;
  /** That snapshot's verdict has the vanishing condition. */
  vanishes: boolean;
  meanDead: number;
  meanSaturated: number;
  updateMedian: number;
}

function signals(ctx: DiagnosisContext): Signals {
  const finite = ctx.snapshots.filter(isFiniteSnapshot);
  const last = finite[finite.length - 1];
  const updates = ctx.snapshots
    .slice(-Math.max(1, Math.ceil(THRESHOLDS.recentFraction * ctx.snapshots.length)))
    .flatMap((s) => s.layers.map((m) => m.updateRatio))
    .filter((u): u is number => typeof u === "number" && !Number.isNaN(u));
  return {
    vanishingSpan: last ? ctx.flow(last).measures.span : Number.NaN,
    vanishes: last ? ctx.flow(last).conditions.includes("vanishing") : false,
    meanDead: last && unitsCanDie(ctx.config) ? mean(last.layers.map((m) => m.dead)) : 0,
    meanSaturated: last ? mean(last.layers.map((m) => m.saturated)) : 0,
    updateMedian: median(updates),
  };
}

/**
 * Loss plateau (training): over the last plateauTail (50%) of the steps the loss improved by
 * less than plateauImprovement (1%) while still above the floor
 * max(lossFloorAbsolute, lossFloorRelative x initial loss). A loss that rose by more than
 * lossRise (10%) is reported as rising instead (same id, a warning).
 */
export const lossPlateauRule = defineRule<PlateauDetection>({
  id: "loss-plateau",
  needs: ["loss"],
  description: `training only: loss improved by less than ${pct(THRESHOLDS.plateauImprovement)} over the last ${pct(THRESHOLDS.plateauTail)} of the steps while above max(${THRESHOLDS.lossFloorAbsolute}, ${THRESHOLDS.lossFloorRelative} x initial loss); warning when still at ${pct(THRESHOLDS.stuckLossShare)} or more of the initial loss or when it rose by more than ${pct(THRESHOLDS.lossRise)}`,
  applies(ctx) {
    const fromHistory = ctx.input.lossHistory ?? [];
    const source =
      fromHistory.length >= THRESHOLDS.minLossPoints
        ? fromHistory
        : ctx.snapshots.flatMap((s) =>
            s.loss === undefined ? [] : [{ step: s.step, loss: s.loss }],
          );
    const points = source.filter((p) => Number.isFinite(p.loss)).sort((a, b) => a.step - b.step);
    if (points.length < THRESHOLDS.minLossPoints) return null;
    const s0 = points[0]!.step;
    const s1 = points[points.length - 1]!.step;
    if (s1 <= s0) return null;
    const cut = s0 + (1 - THRESHOLDS.plateauTail) * (s1 - s0);
    const tail = points.filter((p) => p.step >= cut);
    if (tail.length < 2) return null;
    const edge = Math.max(1, Math.round(THRESHOLDS.plateauEdge * tail.length));
    const tailStart = mean(tail.slice(0, edge).map((p) => p.loss));
    const tailEnd = mean(tail.slice(-edge).map((p) => p.loss));
    const initial = points[0]!.loss;
    const improvement = (tailStart - tailEnd) / Math.abs(tailStart);
    const floor = Math.max(
      THRESHOLDS.lossFloorAbsolute,
      THRESHOLDS.lossFloorRelative * Math.abs(initial),
    );
    if (!(improvement < THRESHOLDS.plateauImprovement) || !(tailEnd > floor)) return null;
    const from = tail[0]!.step;
    const to = tail[tail.length - 1]!.step;
    return {
      layers: [],
      steps: ctx.snapshots.filter((s) => s.step >= from && s.step <= to).map((s) => s.step),
      evidence: [
        {
          label: `relative loss improvement from step ${from} to step ${to}`,
          value: 100 * improvement,
          unit: "%",
        },
        { label: `loss near step ${from}`, value: tailStart },
        { label: `loss near step ${to}`, value: tailEnd },
        { label: `initial loss (step ${s0})`, value: initial },
      ],
      improvement,
      initial,
      tailStart,
      tailEnd,
      from,
      to,
      rising: improvement < -THRESHOLDS.lossRise,
      stuck: improvement >= -THRESHOLDS.lossRise && tailEnd >= THRESHOLDS.stuckLossShare * initial,
    };
  },
  severity: (d) => (d.stuck || d.rising ? "warning" : "info"),
  title: (d) =>
    d.rising
      ? `Loss rising: ${d.tailStart > 0 ? `${sci(d.tailEnd / d.tailStart)}x` : `by ${sci(d.tailEnd - d.tailStart)}`} from step ${d.from} to ${d.to} (loss ${num(d.tailEnd)}, initially ${num(d.initial)})`
      : `Loss plateau: ${d.improvement >= 0 ? `improved only ${pct(d.improvement)}` : `rose ${pct(-d.improvement)}`} from step ${d.from} to ${d.to} (loss ${num(d.tailEnd)}, initially ${num(d.initial)})`,
  cause(ctx, d) {
    const s = signals(ctx);
    if (d.rising) {
      const u = Number.isFinite(s.updateMedian)
        ? ` (median update 10^${num(s.updateMedian, 2)} of the weights per step)`
        : "";
      return `The loss rose from ${num(d.tailStart)} near step ${d.from} to ${num(d.tailEnd)} near step ${d.to}: the steps overshoot${u}, so training diverges instead of descending.`;
    }
    const where = d.stuck
      ? `The loss has stayed near its initial value ${num(d.initial)}`
      : `The loss fell from ${num(d.initial)} to ${num(d.tailStart)} and then stalled at ${num(d.tailEnd)}`;
    if (s.vanishes) {
      return `${where}: E[dz^2] at layer 2 is ${sci(s.vanishingSpan)} of layer L's, so the lower layers barely learn (vanishing gradients).`;
    }
    if (s.meanDead > THRESHOLDS.deadWarningMean) {
      return `${where}: ${pct(s.meanDead)} of the units are dead on average and pass no gradient.`;
    }
    if (s.meanSaturated > THRESHOLDS.saturatedFraction) {
      return `${where}: ${pct(s.meanSaturated)} of the activations are saturated, where the gradient is nearly 0.`;
    }
    if (s.updateMedian < THRESHOLDS.updateRatioLow + 1) {
      return `${where}: the updates are tiny (median 10^${num(s.updateMedian, 2)} of the weights per step), so the learning rate is likely too small.`;
    }
    if (s.updateMedian > THRESHOLDS.updateRatioHigh - 1) {
      return `${where}: the updates are large (median 10^${num(s.updateMedian, 2)} of the weights per step), so the loss likely bounces around instead of descending.`;
    }
    return `${where}: no gradient pathology was measured, so the optimizer is on a plateau (or at a minimum of this model's capacity).`;
  },
  remedies(ctx, d) {
    if (d.rising) return [{ id: "lower-lr" }, { id: "gradient-clipping" }, { id: "batch-norm" }];
    const s = signals(ctx);
    let picks: RemedyPick[];
    if (s.vanishes) picks = vanishingPicks(ctx);
    else if (s.meanDead > THRESHOLDS.deadWarningMean)
      picks = [{ id: "leaky-relu-he" }, { id: "batch-norm" }];
    else if (s.meanSaturated > THRESHOLDS.saturatedFraction)
      picks = [{ id: "relu-he" }, { id: "batch-norm" }];
    else if (s.updateMedian > THRESHOLDS.updateRatioHigh - 1) picks = [{ id: "lower-lr" }];
    else picks = [{ id: "higher-lr" }];
    const bouncing = s.updateMedian > THRESHOLDS.updateRatioHigh - 1;
    const rest: RemedyPick[] = bouncing ? [] : [{ id: "higher-lr" }];
    return [...picks, ...rest, { id: "batch-norm" }, { id: "residual" }];
  },
});
