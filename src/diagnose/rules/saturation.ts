import type { Activation } from "../../core/activations.ts";
import type { DiagnosisContext } from "../context.ts";
import { mean, scanSnapshots } from "../measures.ts";
import type { RemedyPick } from "../rank-remedies.ts";
import { roundedCriticalWeightVar } from "../remedies.ts";
import { type Detection, defineRule, downgrade } from "../rule.ts";
import { layersPhrase, num, pct } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";
import type { Evidence } from "../types.ts";

interface SaturationDetection extends Detection {
  maxSaturated: number;
  maxLayer: number;
  /** Mean saturated fraction over the flagged layers. */
  flaggedMean: number;
  /** Mean saturated fraction over all layers. */
  allMean: number;
  depth: number;
  meanQ: number;
  threshold: number;
  firstMean: { step: number; value: number } | null;
  resolved: boolean;
}

/** |u| beyond which phi'(u) < 1% of max phi' (the `saturated` metric's cut), by bisection. */
function saturationThreshold(act: Activation): number {
  const target = 0.01 * act.maxDerivative;
  let lo = 0;
  let hi = 1;
  while (act.derivative(hi) >= target && hi < 1e4) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (act.derivative(mid) >= target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Saturation: a bounded activation (sigmoid, tanh) with more than 20% of a layer's entries in its flat tails. */
export const saturationRule = defineRule<SaturationDetection>({
  id: "saturation",
  needs: ["saturated"],
  description: `bounded activation with more than ${pct(THRESHOLDS.saturatedFraction)} of a layer's entries saturated (phi' < 1% of max); warning when at least ${pct(THRESHOLDS.saturationWarningLayerShare)} of the layers are, critical when the mean over layers exceeds ${pct(THRESHOLDS.saturationCriticalMean)}`,
  applies(ctx) {
    if (!ctx.activation.bounded) return null;
    const scan = scanSnapshots(ctx.snapshots, (s) => {
      const layers = s.layers
        .filter((m) => m.saturated > THRESHOLDS.saturatedFraction)
        .map((m) => m.layer);
      return layers.length > 0 ? layers : null;
    });
    if (!scan) return null;
    const { snapshot, value: layers } = scan.latest;
    const all = snapshot.layers;
    const flagged = all.filter((m) => layers.includes(m.layer));
    const top = flagged.reduce((a, b) => (b.saturated > a.saturated ? b : a));
    const flaggedMean = mean(flagged.map((m) => m.saturated));
    const allMean = mean(all.map((m) => m.saturated));
    const meanQ = mean(flagged.map((m) => m.q));
    const threshold = saturationThreshold(ctx.activation);
    const first = ctx.snapshots[0]!;
    const firstMean =
      ctx.training && first !== snapshot
        ? { step: first.step, value: mean(first.layers.map((m) => m.saturated)) }
        : null;
    const evidence: Evidence[] = [
      {
        label: `largest saturated fraction (layer ${top.layer})`,
        value: 100 * top.saturated,
        unit: "%",
      },
      {
        label: "mean saturated fraction in the flagged layers",
        value: 100 * flaggedMean,
        unit: "%",
      },
      {
        label: `layers with over ${pct(THRESHOLDS.saturatedFraction)} saturated`,
        value: flagged.length,
        unit: `of ${all.length}`,
      },
      { label: "mean pre-activation mean square q in the flagged layers", value: meanQ },
      { label: "saturation threshold |u| (phi' < 1% of max)", value: threshold },
      { label: "sigma_w^2 (fan_in Var(W))", value: ctx.weightVar },
    ];
    if (firstMean) {
      evidence.push({
        label: `mean saturated fraction at step ${firstMean.step}`,
        value: 100 * firstMean.value,
        unit: "%",
      });
    }
    return {
      layers,
      steps: scan.hits.map((h) => h.snapshot.step),
      evidence,
      maxSaturated: top.saturated,
      maxLayer: top.layer,
      flaggedMean,
      allMean,
      depth: all.length,
      meanQ,
      threshold,
      firstMean,
      resolved: scan.resolved,
    };
  },
  severity(d) {
    let s: "info" | "warning" | "critical" = "info";
    if (d.allMean > THRESHOLDS.saturationCriticalMean) s = "critical";
    else if (d.layers.length >= THRESHOLDS.saturationWarningLayerShare * d.depth) s = "warning";
    return downgrade(s, d.resolved);
  },
  title: (d, ctx) =>
    `Saturated ${ctx.config.activation} units: ${pct(d.flaggedMean)} of entries saturated in ${layersPhrase(d.layers)} (up to ${pct(d.maxSaturated)} in layer ${d.maxLayer})`,
  cause(ctx, d) {
    const bias =
      ctx.config.biasVar > 0 ? ` and biases have variance ${num(ctx.config.biasVar)}` : "";
    const norm = ctx.config.batchNorm || ctx.config.layerNorm ? " despite normalization" : "";
    const grew =
      d.firstMean && d.allMean > d.firstMean.value + 0.05
        ? ` Saturation grew from ${pct(d.firstMean.value)} at step ${d.firstMean.step}: the weights grew during training.`
        : "";
    return `${ctx.config.activation} is flat beyond |u| = ${num(d.threshold)} (phi' below 1% of its maximum ${num(ctx.activation.maxDerivative)}); ${weightPhrase(ctx)}${bias}, so the pre-activations in these layers have mean square q = ${num(d.meanQ)} (std ${num(Math.sqrt(d.meanQ))})${norm} and ${pct(d.flaggedMean)} of them land in the flat tails, where the gradient is multiplied by almost 0.${grew}`;
  },
  remedies(ctx) {
    const crit = roundedCriticalWeightVar(ctx);
    const shrink = Number.isFinite(crit) && crit < ctx.weightVar;
    const chi1Xavier = ctx.theoryAt(1)?.chi1;
    const picks: RemedyPick[] = [];
    if (ctx.config.biasVar > 0 && ctx.config.biasVar >= 0.5 * ctx.weightVar)
      picks.push({ id: "zero-bias" });
    if (shrink) {
      picks.push(
        {
          id: "critical-init",
          why: `weightVar ${num(crit, 4)} (chi1 = 1) instead of sigma_w^2 = ${num(ctx.weightVar)} keeps pre-activations smaller without making gradients vanish`,
        },
        { id: "xavier-init" },
        { id: "batch-norm" },
        { id: "layer-norm" },
        { id: "relu-he" },
      );
    } else {
      picks.push(
        {
          id: "relu-he",
          why: "ReLU has no flat positive tail: active units pass the gradient unchanged however large u is",
        },
        { id: "batch-norm" },
        {
          id: "xavier-init",
          why: `smaller weights (sigma_w^2 = 1) end the saturation${chi1Xavier !== undefined && chi1Xavier < 1 ? `, but ${ctx.config.activation} then vanishes (mean-field chi1 = ${num(chi1Xavier)} per layer)` : ""}`,
        },
        { id: "layer-norm" },
      );
    }
    picks.push({ id: "zero-bias" });
    return picks;
  },
});

function weightPhrase(ctx: DiagnosisContext): string {
  if (ctx.config.source === "imported") return "the model's own weights";
  return `sigma_w^2 = ${num(ctx.weightVar)} (${ctx.config.init}${ctx.config.init === "normal" || ctx.config.init === "uniform" || ctx.config.init === "orthogonal" ? `, weightVar ${num(ctx.config.weightVar)}` : ""})`;
}
