import type { DiagnosisContext } from "../context.ts";
import { gradientFlowCause, vanishingPicks } from "../gradient-flow.ts";
import { gradientProfile, isFiniteSnapshot, mean, scanSnapshots } from "../measures.ts";
import { type Detection, defineRule, downgrade } from "../rule.ts";
import { layersPhrase, num, pct, sci } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";
import type { Evidence, SnapshotLayer } from "../types.ts";

interface VanishingDetection extends Detection {
  ratio: number;
  factor: number;
  span: number;
  depth: number;
  underflowLayers: number[];
  /** Every layer's weight gradient is exactly 0. */
  allZero: boolean;
  /** Step of the snapshot described, and its mean dead-unit fraction. */
  step: number;
  meanDead: number;
  /** The condition held at the first snapshot. */
  sinceInit: boolean;
  /** q of layer 1 and layer L (the forward signal), for the homogeneity explanation. */
  qFirst: number;
  qLast: number;
  resolved: boolean;
}

/**
 * Layers flagged as underflowed. A zero-weight network's gradients are truly zero, not
 * rounded to zero, whatever the flag says.
 */
const underflowed = (ctx: DiagnosisContext, layers: readonly SnapshotLayer[]): number[] =>
  ctx.weightVar > 0 ? layers.filter((m) => m.underflow).map((m) => m.layer) : [];

/** Whether the pair (ratio, span) alone says vanishing. */
const vanishes = (ratio: number, span: number): boolean =>
  ratio < THRESHOLDS.vanishingRatio || span < THRESHOLDS.vanishingSpan;

/**
 * Vanishing gradients, in a snapshot without NaN/Inf: layer 1's gradient norm below
 * vanishingRatio (1e-2) of layer L's; or the mean-square gradient dL/dz shrinking by more than
 * vanishingSpan (1e-4) from layer L to layer 1 at the fitted per-layer factor; or a gradient
 * that underflowed to zero.
 */
export const vanishingRule = defineRule<VanishingDetection>({
  id: "vanishing",
  description: `first-to-last gradWeightNorm ratio below ${THRESHOLDS.vanishingRatio} (critical below ${THRESHOLDS.vanishingCriticalRatio}), fitted per-layer factor of the mean-square gradient compounding below ${THRESHOLDS.vanishingSpan} over the depth (critical below ${THRESHOLDS.vanishingCriticalSpan}), a gradient underflowed to zero, or no weight gradient at all (critical)`,
  applies(ctx) {
    const scan = scanSnapshots(ctx.snapshots.filter(isFiniteSnapshot), (s) => {
      const profile = gradientProfile(s.layers);
      const underflow = underflowed(ctx, s.layers);
      const allZero = s.layers.length > 0 && s.layers.every((m) => m.gradWeightNorm === 0);
      return vanishes(profile.ratio, profile.span) || underflow.length > 0 || allZero
        ? { ...profile, underflow, allZero }
        : null;
    });
    if (!scan) return null;
    const { snapshot, value } = scan.latest;
    const layers = snapshot.layers;
    const topW = Math.max(...layers.map((m) => m.gradWeightNorm));
    const topZ = Math.max(...layers.map((m) => m.gradPreactMeanSq));
    const starved = layers
      .filter(
        (m) =>
          value.allZero ||
          value.underflow.includes(m.layer) ||
          m.gradWeightNorm < THRESHOLDS.vanishingRatio * topW ||
          m.gradPreactMeanSq < THRESHOLDS.vanishingSpan * topZ,
      )
      .map((m) => m.layer);
    const theory = ctx.theory();
    const evidence: Evidence[] = [
      {
        label: "first-to-last gradient norm ratio (|dL/dW| layer 1 / layer L)",
        value: value.ratio,
      },
      {
        label: "fitted per-layer factor of the mean-square gradient",
        value: value.factor,
        unit: "per layer",
      },
      {
        label: "mean-square gradient change from layer L to layer 1 (factor^(L-1))",
        value: value.span,
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
    if (value.underflow.length > 0) {
      evidence.push({
        label: "layers whose gradient underflowed to zero",
        value: value.underflow.length,
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
    return {
      layers: starved,
      steps: scan.hits.map((h) => h.snapshot.step),
      evidence: evidence.filter((e) => !Number.isNaN(e.value)),
      ratio: value.ratio,
      factor: value.factor,
      span: value.span,
      depth: layers.length,
      underflowLayers: value.underflow,
      allZero: value.allZero,
      step: snapshot.step,
      sinceInit: scan.hits[0]!.snapshot.step === ctx.snapshots[0]!.step,
      meanDead: mean(layers.map((m) => m.dead)),
      qFirst: layers[0]?.q ?? Number.NaN,
      qLast: layers[layers.length - 1]?.q ?? Number.NaN,
      resolved: scan.resolved,
    };
  },
  severity: (d) =>
    downgrade(
      d.underflowLayers.length > 0 ||
        d.allZero ||
        d.ratio < THRESHOLDS.vanishingCriticalRatio ||
        d.span < THRESHOLDS.vanishingCriticalSpan
        ? "critical"
        : "warning",
      d.resolved,
    ),
  title(d) {
    if (d.underflowLayers.length > 0) {
      return `Vanishing gradients: the gradient underflowed to zero in ${layersPhrase(d.underflowLayers)}`;
    }
    if (d.allZero) return "Vanishing gradients: every layer's weight gradient is exactly 0";
    if (d.ratio < THRESHOLDS.vanishingRatio) {
      return `Vanishing gradients: layer 1 gets ${sci(d.ratio)} of layer ${d.depth}'s gradient norm`;
    }
    return `Vanishing gradients: the mean-square gradient dL/dz shrinks ${sci(1 / d.span)}x from layer ${d.depth} to layer 1 (${num(d.factor)} per layer)`;
  },
  cause(ctx, d) {
    let text = gradientFlowCause(
      ctx,
      { factor: d.factor, ratio: d.ratio, step: d.step, sinceInit: d.sinceInit },
      "vanishing",
    );
    if (d.meanDead > THRESHOLDS.deadWarningMean) {
      text += ` ${pct(d.meanDead)} of the units are dead at step ${d.step}, and no gradient passes a dead unit.`;
    }
    if (d.ratio >= THRESHOLDS.vanishingRatio && d.underflowLayers.length === 0 && !d.allZero) {
      text += ` The weight-gradient norms stay within ${num(1 / THRESHOLDS.vanishingRatio)}x of each other only because the forward signal shrinks at the same rate (q = ${sci(d.qFirst)} in layer 1, ${sci(d.qLast)} in layer ${d.depth}): the output, the loss and every gradient shrink with it.`;
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
