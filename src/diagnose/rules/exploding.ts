import { explodingPicks, gradientFlowCause } from "../gradient-flow.ts";
import {
  gradientProfile,
  isFiniteSnapshot,
  median,
  scanSnapshots,
  totalGradNorm,
} from "../measures.ts";
import { type Detection, defineRule, downgrade } from "../rule.ts";
import { num, sci } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";
import type { Evidence } from "../types.ts";

interface ExplodingDetection extends Detection {
  /** First-to-last ratio and span of the latest snapshot where either is beyond its threshold (NaN when none). */
  ratio: number;
  span: number;
  factor: number;
  depth: number;
  /** Step of that snapshot (or the last finite one). */
  step: number;
  /** The ratio/span condition held at the first snapshot. */
  sinceInit: boolean;
  /** q of layer 1 and layer L of that snapshot. */
  qFirst: number;
  qLast: number;
  /** Largest total gradient norm over the first one, when above explodingGrowth (NaN otherwise). */
  growth: number;
  growthFrom: { step: number; norm: number } | null;
  growthTo: { step: number; norm: number } | null;
  /** First step with NaN/Inf (null when none). */
  nonFiniteStep: number | null;
  /** The growth is there at initialization (or this is a probe), not made by training. */
  fromInit: boolean;
  /** Only the ratio/span condition holds, and not at the last snapshot. */
  resolved: boolean;
}

/** Whether the pair (ratio, span) alone says exploding. */
const explodes = (ratio: number, span: number): boolean =>
  ratio > THRESHOLDS.explodingRatio || span > THRESHOLDS.explodingSpan;

/**
 * Exploding gradients: layer 1's gradient norm above explodingRatio (1e2) times layer L's, or
 * the mean-square gradient dL/dz growing by more than explodingSpan (1e4) from layer L to
 * layer 1 at the fitted per-layer factor; or the total gradient norm growing by more than
 * explodingGrowth (1e3) over training; or NaN/Inf values (the end point of an explosion).
 */
export const explodingRule = defineRule<ExplodingDetection>({
  id: "exploding",
  description: `first-to-last gradWeightNorm ratio above ${THRESHOLDS.explodingRatio} (critical above ${THRESHOLDS.explodingCriticalRatio}), fitted per-layer factor of the mean-square gradient compounding above ${THRESHOLDS.explodingSpan} over the depth (critical above ${THRESHOLDS.explodingCriticalSpan}), total gradient norm growing over ${THRESHOLDS.explodingGrowth}x during training (critical over ${THRESHOLDS.explodingCriticalGrowth}x), or NaN/Inf values (critical)`,
  applies(ctx) {
    const finite = ctx.snapshots.filter(isFiniteSnapshot);
    const scan = scanSnapshots(finite, (s) => {
      const p = gradientProfile(s.layers);
      return explodes(p.ratio, p.span) ? p : null;
    });

    let growth = Number.NaN;
    let growthFrom: ExplodingDetection["growthFrom"] = null;
    let growthTo: ExplodingDetection["growthTo"] = null;
    const first = finite[0];
    if (first && finite.length > 1) {
      const g0 = totalGradNorm(first.layers);
      let best = finite[1]!;
      for (const s of finite.slice(1)) {
        if (totalGradNorm(s.layers) > totalGradNorm(best.layers)) best = s;
      }
      const g1 = totalGradNorm(best.layers);
      if (g0 > 0 && g1 / g0 > THRESHOLDS.explodingGrowth) {
        growth = g1 / g0;
        growthFrom = { step: first.step, norm: g0 };
        growthTo = { step: best.step, norm: g1 };
      }
    }
    const badStep = ctx.nonFiniteSteps[0];
    const bad = badStep === undefined ? undefined : { step: badStep };
    if (!scan && !growthTo && !bad) return null;

    const ref = scan?.latest.snapshot ?? finite[finite.length - 1];
    const profile = ref ? gradientProfile(ref.layers) : null;
    const factor = profile?.factor ?? Number.NaN;

    let layers: number[];
    if (bad) {
      const at = ctx.snapshots.find((s) => s.step === bad.step);
      layers = at ? at.layers.filter((m) => m.nonfinite > 0).map((m) => m.layer) : [];
      const e = ctx.input.explosion;
      if (layers.length === 0 && e?.step === bad.step && e.layer !== null) layers = [e.layer];
    } else if (growthTo && first) {
      const to = finite.find((s) => s.step === growthTo.step)!;
      layers = to.layers
        .filter((m) => {
          const m0 = first.layers.find((x) => x.layer === m.layer);
          return (
            m0 !== undefined && m.gradWeightNorm > THRESHOLDS.explodingGrowth * m0.gradWeightNorm
          );
        })
        .map((m) => m.layer);
      if (layers.length === 0) layers = to.layers.map((m) => m.layer);
    } else {
      const ls = ref!.layers;
      const last = ls[ls.length - 1]!;
      const k = THRESHOLDS.explodingLayerFactor;
      layers = ls
        .filter(
          (m) =>
            m.gradWeightNorm > k * last.gradWeightNorm ||
            m.gradPreactMeanSq > k * k * last.gradPreactMeanSq,
        )
        .map((m) => m.layer);
    }
    const steps = new Set<number>(scan?.hits.map((h) => h.snapshot.step) ?? []);
    if (growthTo) steps.add(growthTo.step);
    for (const step of ctx.nonFiniteSteps) steps.add(step);

    const evidence: Evidence[] = [];
    if (scan) {
      evidence.push({
        label: "first-to-last gradient norm ratio (|dL/dW| layer 1 / layer L)",
        value: scan.latest.value.ratio,
      });
    }
    if (Number.isFinite(factor)) {
      evidence.push({
        label: "fitted per-layer factor of the mean-square gradient",
        value: factor,
        unit: "per layer",
      });
      evidence.push({
        label: "mean-square gradient change from layer L to layer 1 (factor^(L-1))",
        value: profile!.span,
      });
    }
    const theory = ctx.theory();
    if (theory) {
      evidence.push({
        label: "mean-field chi1 at initialization",
        value: theory.chi1,
        unit: "per layer",
      });
    }
    evidence.push({ label: "sigma_w^2 (fan_in Var(W))", value: ctx.weightVar });
    if (growthFrom && growthTo) {
      evidence.push({
        label: `total gradient norm growth from step ${growthFrom.step} to step ${growthTo.step}`,
        value: growth,
        unit: "x",
      });
      evidence.push({
        label: `total gradient norm at step ${growthTo.step}`,
        value: growthTo.norm,
      });
    }
    if (bad) evidence.push({ label: "first step with NaN/Inf", value: bad.step });

    const firstProfile = first ? gradientProfile(first.layers) : null;
    const fromInit =
      !ctx.training ||
      (firstProfile !== null && explodes(firstProfile.ratio, firstProfile.span)) ||
      (!growthTo && !bad);
    return {
      layers,
      steps: [...steps].sort((a, b) => a - b),
      evidence: evidence.filter((e) => !Number.isNaN(e.value)),
      ratio: scan?.latest.value.ratio ?? Number.NaN,
      span: scan?.latest.value.span ?? Number.NaN,
      factor,
      depth: ref?.layers.length ?? ctx.depth,
      step: ref?.step ?? 0,
      sinceInit: scan !== null && scan.hits[0]!.snapshot.step === ctx.snapshots[0]!.step,
      qFirst: ref?.layers[0]?.q ?? Number.NaN,
      qLast: ref?.layers[ref.layers.length - 1]?.q ?? Number.NaN,
      growth,
      growthFrom,
      growthTo,
      nonFiniteStep: bad?.step ?? null,
      fromInit,
      resolved: !growthTo && !bad && (scan?.resolved ?? false),
    };
  },
  severity(d) {
    if (d.nonFiniteStep !== null) return "critical";
    const critical =
      d.ratio > THRESHOLDS.explodingCriticalRatio ||
      d.span > THRESHOLDS.explodingCriticalSpan ||
      d.growth > THRESHOLDS.explodingCriticalGrowth;
    return downgrade(critical ? "critical" : "warning", d.resolved);
  },
  title(d) {
    if (d.nonFiniteStep !== null) {
      return Number.isFinite(d.growth)
        ? `Exploding gradients: the gradient norm grew ${sci(d.growth)}x, then overflowed to NaN/Inf at step ${d.nonFiniteStep}`
        : `Exploding gradients: values overflowed to NaN/Inf at step ${d.nonFiniteStep}`;
    }
    if (d.growthFrom && d.growthTo) {
      return `Exploding gradients: the gradient norm grew ${sci(d.growth)}x between steps ${d.growthFrom.step} and ${d.growthTo.step}`;
    }
    if (d.ratio > THRESHOLDS.explodingRatio) {
      return `Exploding gradients: layer 1 gets ${sci(d.ratio)}x layer ${d.depth}'s gradient norm`;
    }
    return `Exploding gradients: the mean-square gradient dL/dz grows ${sci(d.span)}x from layer ${d.depth} to layer 1 (${num(d.factor)} per layer)`;
  },
  cause(ctx, d) {
    if (d.nonFiniteStep === null && !d.growthTo) {
      const text = gradientFlowCause(
        ctx,
        { factor: d.factor, ratio: d.ratio, step: d.step, sinceInit: d.sinceInit },
        "exploding",
      );
      if (d.ratio > THRESHOLDS.explodingRatio) return text;
      return `${text} The weight-gradient norms stay within ${num(THRESHOLDS.explodingRatio)}x of each other only because the forward signal grows at the same rate (q = ${sci(d.qFirst)} in layer 1, ${sci(d.qLast)} in layer ${d.depth}): the output, the loss and every gradient grow with it.`;
    }
    const parts: string[] = [];
    const theory = ctx.theory();
    if (theory && theory.chi1 > 1) {
      parts.push(
        `The network starts in the chaotic phase (mean-field chi1 = ${num(theory.chi1)} > 1 per layer).`,
      );
    }
    if (d.growthFrom && d.growthTo) {
      const updates = ctx.snapshots
        .flatMap((s) => s.layers.map((m) => m.updateRatio))
        .filter((u): u is number => typeof u === "number" && Number.isFinite(u));
      const u = median(updates);
      const lr = ctx.input.training?.lr;
      parts.push(
        `The total gradient norm grew from ${sci(d.growthFrom.norm)} at step ${d.growthFrom.step} to ${sci(d.growthTo.norm)} at step ${d.growthTo.step}: the updates${lr !== undefined ? ` (lr ${num(lr)})` : ""}${Number.isFinite(u) ? `, a median 10^${num(u, 2)} of the weights per step,` : ""} push the weights to a scale where each layer amplifies the gradient.`,
      );
    }
    if (d.nonFiniteStep !== null) {
      parts.push(
        `At step ${d.nonFiniteStep} values exceeded the largest ${ctx.config.dtype === "f32" ? "float32 (3.4e38)" : "float64 (1.8e308)"} and became Inf, and Inf - Inf or 0 x Inf made NaN.`,
      );
    }
    return parts.join(" ");
  },
  remedies: (ctx, d) => explodingPicks(ctx, d.fromInit),
});
