import { conditionSeverity, gradientGrowth } from "../../verdict/index.ts";
import { VERDICT_THRESHOLDS } from "../../verdict/thresholds.ts";
import type { DiagnosisContext } from "../context.ts";
import { explodingPicks, gradientFlowCause } from "../gradient-flow.ts";
import { isFiniteSnapshot, median, scanSnapshots, totalGradNorm } from "../measures.ts";
import { type Detection, defineRule, downgrade } from "../rule.ts";
import { num, sci } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";
import type { Evidence, Severity } from "../types.ts";

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
  /** The run converged from a healthy start: a late tilt of a trained network, a note only. */
  trained: boolean;
  /** First layer of the span (2, or 1 below depth 3). */
  from: number;
  /** A mean square reached the float limit. */
  overflow: boolean;
  /** Severity of the flow condition at the snapshot described. */
  measured: Severity;
  /** The growth is of the global gradient norm (every parameter), not of the hidden layers'. */
  globalNorm: boolean;
}

/**
 * The largest growth of the gradient norm over its first finite value: the global norm of
 * every parameter gradient (readout included) when the snapshots carry it, else the norm of
 * the hidden layers' weight gradients (said so in the evidence).
 */
function growthOf(ctx: DiagnosisContext): {
  growth: ReturnType<typeof gradientGrowth>;
  global: boolean;
} {
  const finite = ctx.snapshots.filter(isFiniteSnapshot);
  const global = finite.length > 0 && finite.every((s) => s.gradNorm !== undefined);
  const steps = finite.map((s) => ({
    step: s.step,
    flow: ctx.flow(s),
    finite: true,
    gradNorm: global ? s.gradNorm! : totalGradNorm(s.layers),
  }));
  return { growth: gradientGrowth(steps), global };
}

/**
 * Exploding gradients: layer 1's gradient norm above explodingRatio (1e2) times layer L's, or
 * the mean-square gradient dL/dz growing by more than explodingSpan (1e4) from layer L to
 * layer 1 at the fitted per-layer factor; or the total gradient norm growing by more than
 * explodingGrowth (1e3) over training; or NaN/Inf values (the end point of an explosion).
 */
export const explodingRule = defineRule<ExplodingDetection>({
  id: "exploding",
  needs: ["gradPreactMeanSq", "gradWeightNorm"],
  fallback: { needs: ["gradNorm"], from: "the global gradient norm and NaN/Inf" },
  description: `measured mean-square gradient E[(dL/dz)^2] growing by more than ${VERDICT_THRESHOLDS.explodingSpan}x from layer L down to layer 2 (critical beyond ${VERDICT_THRESHOLDS.explodingCriticalSpan}x) or reaching the float limit, the global gradient norm growing over ${VERDICT_THRESHOLDS.growthExploding}x during training (critical over ${VERDICT_THRESHOLDS.growthCriticalExploding}x), or NaN/Inf values (critical)`,
  applies(ctx) {
    const finite = ctx.snapshots.filter(isFiniteSnapshot);
    const scan = scanSnapshots(finite, (s) => {
      const j = ctx.flow(s);
      return j.conditions.includes("exploding") ? j : null;
    });
    const { growth: g, global } = growthOf(ctx);
    const growth = g?.factor ?? Number.NaN;
    const growthFrom = g ? g.from : null;
    const growthTo = g ? g.to : null;
    const first = finite[0];
    const badStep = ctx.nonFiniteSteps[0];
    const bad = badStep === undefined ? undefined : { step: badStep };
    if (!scan && !growthTo && !bad) return null;

    const ref = scan?.latest.snapshot ?? finite[finite.length - 1];
    const refFlow = ref ? ctx.flow(ref).measures : null;
    const factor = refFlow?.factor ?? Number.NaN;

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
      const over = new Set(refFlow?.overflowPoints ?? []);
      layers = ls
        .filter((m) => over.has(m.layer) || m.gradPreactMeanSq > k * k * last.gradPreactMeanSq)
        .map((m) => m.layer);
    }
    const steps = new Set<number>(scan?.hits.map((h) => h.snapshot.step) ?? []);
    if (growthTo) steps.add(growthTo.step);
    for (const step of ctx.nonFiniteSteps) steps.add(step);

    const evidence: Evidence[] = [];
    if (scan) {
      const m = scan.latest.value.measures;
      evidence.push({
        label: `mean-square gradient E[(dL/dz)^2] at layer ${m.fitFrom} over layer ${m.depth} (step ${scan.latest.snapshot.step})`,
        value: m.span,
      });
      evidence.push({
        label: "fitted per-layer factor of the mean-square gradient",
        value: m.factor,
        unit: "per layer",
      });
      evidence.push({
        label: `forward signal q at layer ${m.depth} over layer ${m.fitFrom}`,
        value: m.signalRatio,
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
    const normName = global
      ? "global gradient norm (every parameter)"
      : "norm of the hidden layers' weight gradients";
    if (growthFrom && growthTo) {
      evidence.push({
        label: `${normName}: growth from step ${growthFrom.step} to step ${growthTo.step}`,
        value: growth,
        unit: "x",
      });
      evidence.push({ label: `${normName} at step ${growthFrom.step}`, value: growthFrom.norm });
      evidence.push({ label: `${normName} at step ${growthTo.step}`, value: growthTo.norm });
    }
    if (bad) evidence.push({ label: "first step with NaN/Inf", value: bad.step });

    const fromInit =
      !ctx.training ||
      (first !== undefined && ctx.flow(first).conditions.includes("exploding")) ||
      (!growthTo && !bad);
    const measured: Severity =
      scan && conditionSeverity("exploding", scan.latest.value.measures) === "critical"
        ? "critical"
        : "warning";
    return {
      layers,
      steps: [...steps].sort((a, b) => a - b),
      evidence: evidence.filter((e) => !Number.isNaN(e.value)),
      ratio: scan?.latest.value.measures.firstToLastRatio ?? Number.NaN,
      span: scan?.latest.value.measures.span ?? Number.NaN,
      from: scan?.latest.value.measures.fitFrom ?? 1,
      overflow: (scan?.latest.value.measures.overflowPoints.length ?? 0) > 0,
      measured,
      globalNorm: global,
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
      // a chaotic start that ends saturated is not resolved: the run verdict says exploding
      resolved: !growthTo && !bad && (scan?.resolved ?? false) && ctx.run.verdict !== "exploding",
      trained: ctx.run.converged && ctx.run.verdict === "healthy",
    };
  },
  severity(d) {
    if (d.nonFiniteStep !== null) return "critical";
    const critical =
      d.measured === "critical" || d.growth > VERDICT_THRESHOLDS.growthCriticalExploding;
    if (d.trained) return "info";
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
    if (d.overflow) {
      return "Exploding gradients: the mean square of the signal or gradient reaches the float limit";
    }
    return `Exploding gradients: the mean-square gradient dL/dz grows ${sci(d.span)}x from layer ${d.depth} down to layer ${d.from} (${num(d.factor)} per layer)`;
  },
  cause(ctx, d) {
    if (d.nonFiniteStep === null && !d.growthTo) {
      const text = gradientFlowCause(
        ctx,
        { factor: d.factor, ratio: d.ratio, step: d.step, sinceInit: d.sinceInit },
        "exploding",
      );
      if (!(Math.abs(Math.log10(d.ratio)) < 2)) return text;
      return `${text} The weight-gradient norms |dL/dW| stay within 100x of each other (layer 1 / layer ${d.depth} = ${sci(d.ratio)}) only because the forward signal changes the other way (q = ${sci(d.qFirst)} in layer 1, ${sci(d.qLast)} in layer ${d.depth}).`;
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
        `The ${d.globalNorm ? "global gradient norm (every parameter)" : "norm of the hidden layers' weight gradients"} grew from ${sci(d.growthFrom.norm)} at step ${d.growthFrom.step} to ${sci(d.growthTo.norm)} at step ${d.growthTo.step}: the updates${lr !== undefined ? ` (lr ${num(lr)})` : ""}${Number.isFinite(u) ? `, a median 10^${num(u, 2)} of the weights per step,` : ""} push the weights to a scale where each layer amplifies the gradient.`,
      );
    }
    if (d.nonFiniteStep !== null) {
      parts.push(
        `At step ${d.nonFiniteStep} values exceeded the largest ${ctx.config.dtype === "f32" ? "float32 (3.4e38)" : "float64 (1.8e308)"} and became Inf, and Inf - Inf or 0 x Inf made NaN.`,
      );
    }
    return parts.join(" ");
  },
  remedies(ctx, d) {
    const picks = explodingPicks(ctx, d.fromInit);
    if (!d.fromInit || (d.nonFiniteStep === null && !d.growthTo)) return picks;
    // chaotic at initialization AND blown up by the updates: the weight scale comes first, and
    // the step size right after it (a critical init at the same rate can still diverge)
    const lower = picks.find((p) => p.id === "lower-lr");
    const rest = picks.filter((p) => p.id !== "lower-lr");
    return lower ? [rest[0]!, lower, ...rest.slice(1)] : picks;
  },
});
