import { conditionSeverity } from "../../verdict/index.ts";
import { VERDICT_THRESHOLDS } from "../../verdict/thresholds.ts";
import { gradientFlowCause, vanishingPicks } from "../gradient-flow.ts";
import { isFiniteSnapshot, mean, scanSnapshots, unitsCanDie } from "../measures.ts";
import { type Detection, defineRule, downgrade } from "../rule.ts";
import { layersPhrase, num, pct, sci } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";
import type { Evidence, Severity } from "../types.ts";

interface VanishingDetection extends Detection {
  /** Measured change of the mean-square gradient from layer L down to layer `from`. */
  span: number;
  factor: number;
  ratio: number;
  from: number;
  depth: number;
  underflowLayers: number[];
  /** Highest layer whose gradient is exactly zero by blocking (0: none). */
  blockedAt: number;
  /** Every layer's gradient is exactly 0. */
  allZero: boolean;
  /** Step of the snapshot described, and its mean dead-unit fraction. */
  step: number;
  meanDead: number;
  /** Mean saturated fraction (tanh, sigmoid) at that step. */
  meanSaturated: number;
  /** The condition held at the first snapshot. */
  sinceInit: boolean;
  /** q of layer `from` and layer L (the forward signal). */
  qFrom: number;
  qLast: number;
  /** Severity of the condition at that snapshot (the verdict's own). */
  measured: Severity;
  resolved: boolean;
  /** The run converged from a healthy start: a late tilt of a trained network, a note only. */
  trained: boolean;
}

/**
 * Vanishing gradients: the verdict's "vanishing" condition (src/verdict) in a snapshot without
 * NaN/Inf: the measured mean-square gradient dL/dz falls by more than 1e2 from layer L down
 * to layer 2 (layer 1 is left out: its pre-activations scale with the data), or it is exactly
 * zero below some layer, or everywhere.
 */
export const vanishingRule = defineRule<VanishingDetection>({
  id: "vanishing",
  needs: ["gradPreactMeanSq", "gradWeightNorm"],
  description: `measured mean-square gradient E[(dL/dz)^2] shrinking by more than ${1 / VERDICT_THRESHOLDS.vanishingSpan}x from layer L down to layer 2 (critical beyond ${1 / VERDICT_THRESHOLDS.vanishingCriticalSpan}x), or exactly zero below some layer (critical)`,
  applies(ctx) {
    const scan = scanSnapshots(ctx.snapshots.filter(isFiniteSnapshot), (s) => {
      const j = ctx.flow(s);
      return j.conditions.includes("vanishing") ? j : null;
    });
    if (!scan) return null;
    const { snapshot, value: j } = scan.latest;
    const m = j.measures;
    const layers = snapshot.layers;
    const topZ = Math.max(...layers.map((l) => l.gradPreactMeanSq));
    const starved = layers
      .filter(
        (l) =>
          m.noGradient ||
          (m.blockedAt > 0 && l.layer <= m.blockedAt) ||
          l.underflow ||
          l.gradPreactMeanSq < VERDICT_THRESHOLDS.vanishingSpan * topZ,
      )
      .map((l) => l.layer);
    const theory = ctx.theory();
    const evidence: Evidence[] = [
      {
        label: `mean-square gradient E[(dL/dz)^2] at layer ${m.fitFrom} over layer ${m.depth}`,
        value: m.span,
      },
      {
        label: "fitted per-layer factor of the mean-square gradient",
        value: m.factor,
        unit: "per layer",
      },
      {
        label: `forward signal q at layer ${m.depth} over layer ${m.fitFrom}`,
        value: m.signalRatio,
      },
    ];
    if (theory) {
      evidence.push({
        label: "mean-field chi1 at initialization",
        value: theory.chi1,
        unit: "per layer",
      });
    }
    evidence.push({ label: "sigma_w^2 (fan_in Var(W))", value: ctx.weightVar });
    evidence.push({ label: "depth", value: layers.length, unit: "layers" });
    if (m.blockedAt > 0) {
      evidence.push({ label: "highest layer with exactly zero gradient", value: m.blockedAt });
    }
    if (m.underflowPoints.length > 0) {
      evidence.push({
        label: "layers whose gradient underflowed to zero",
        value: m.underflowPoints.length,
        unit: "layers",
      });
    }
    if (ctx.training) {
      evidence.push({
        label: "recorded steps affected",
        value: scan.hits.length,
        unit: `of ${ctx.snapshots.length}`,
      });
    }
    const from = layers.find((l) => l.layer === m.fitFrom);
    return {
      layers: starved,
      steps: scan.hits.map((h) => h.snapshot.step),
      evidence: evidence.filter((e) => !Number.isNaN(e.value)),
      span: m.span,
      factor: m.factor,
      ratio: m.firstToLastRatio,
      from: m.fitFrom,
      depth: layers.length,
      underflowLayers: m.underflowPoints,
      blockedAt: m.blockedAt,
      allZero: m.noGradient,
      step: snapshot.step,
      sinceInit: scan.hits[0]!.snapshot.step === ctx.snapshots[0]!.step,
      meanDead: unitsCanDie(ctx.config) ? mean(layers.map((l) => l.dead)) : 0,
      meanSaturated: ctx.activation.bounded ? mean(layers.map((l) => l.saturated)) : 0,
      qFrom: from?.q ?? Number.NaN,
      qLast: layers[layers.length - 1]?.q ?? Number.NaN,
      measured: conditionSeverity("vanishing", m) === "critical" ? "critical" : "warning",
      resolved: scan.resolved,
      trained: ctx.run.converged && ctx.run.verdict === "healthy",
    };
  },
  severity: (d) => (d.trained ? "info" : downgrade(d.measured, d.resolved)),
  title(d) {
    if (d.allZero) return "Vanishing gradients: every layer's weight gradient is exactly 0";
    if (d.blockedAt > 0 && !(d.span < VERDICT_THRESHOLDS.vanishingSpan)) {
      return `Vanishing gradients: the gradient is exactly zero at layer ${d.blockedAt} and below`;
    }
    const underflow =
      d.underflowLayers.length > 0
        ? `, and underflows to zero in ${layersPhrase(d.underflowLayers)}`
        : "";
    return `Vanishing gradients: the mean-square gradient dL/dz shrinks ${sci(1 / d.span)}x from layer ${d.depth} down to layer ${d.from} (${num(d.factor)} per layer)${underflow}`;
  },
  cause(ctx, d) {
    if (d.allZero || (d.blockedAt > 0 && !(d.span < VERDICT_THRESHOLDS.vanishingSpan))) {
      if (ctx.config.init === "zeros") {
        return "Zero weights give every unit the same output and pass no gradient down: dL/da_prev = W^T dL/dz = 0 in every layer.";
      }
      const dead =
        d.meanDead > 0
          ? ` ${pct(d.meanDead)} of the units are dead at step ${d.step}, and no gradient passes a dead unit.`
          : d.meanSaturated > 0
            ? ` ${pct(d.meanSaturated)} of the ${ctx.config.activation} entries are saturated at step ${d.step} (phi' ~ 0), and almost no gradient passes a saturated unit.`
            : "";
      return `No gradient reaches layer ${d.blockedAt || d.depth} and the layers below it: their weights cannot learn.${dead}`;
    }
    let text = gradientFlowCause(
      ctx,
      { factor: d.factor, ratio: d.ratio, step: d.step, sinceInit: d.sinceInit },
      "vanishing",
    );
    if (d.meanDead > THRESHOLDS.deadWarningMean) {
      text += ` ${pct(d.meanDead)} of the units are dead at step ${d.step}, and no gradient passes a dead unit.`;
    }
    if (Math.abs(Math.log10(d.ratio)) < 2) {
      text += ` The weight-gradient norms |dL/dW| stay within 100x of each other (layer 1 / layer ${d.depth} = ${sci(d.ratio)}) only because the forward signal shrinks too (q = ${sci(d.qFrom)} in layer ${d.from}, ${sci(d.qLast)} in layer ${d.depth}): dL/dW = dL/dz x a_prev, so a vanishing gradient times a growing signal can look flat while the network learns nothing useful from its first layers.`;
    }
    if (d.underflowLayers.length > 0) {
      text += ` In ${ctx.config.dtype === "f32" ? "float32" : "float64"} the gradient then falls below the smallest representable magnitude and becomes exactly 0 in ${layersPhrase(d.underflowLayers)}.`;
    }
    return text;
  },
  remedies(ctx, d) {
    // dead units come first unless mean-field theory already explains the vanishing at init
    const explained = d.sinceInit && ctx.theory()?.phase === "ordered";
    return vanishingPicks(ctx, explained ? 0 : d.meanDead);
  },
});
