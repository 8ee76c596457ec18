import { EXPLOSION_SITES } from "../context.ts";
import { explodingPicks } from "../gradient-flow.ts";
import { isFiniteSnapshot, totalGradNorm } from "../measures.ts";
import type { RemedyPick } from "../rank-remedies.ts";
import { type Detection, defineRule } from "../rule.ts";
import { layersPhrase, sci } from "../text.ts";
import type { Evidence, Snapshot } from "../types.ts";

interface NonFiniteDetection extends Detection {
  firstStep: number;
  /** Lowest layer index holding NaN/Inf at the first step (null: none of the hidden layers). */
  firstLayer: number | null;
  layersAtFirst: number[];
  /** What held NaN/Inf first, in words ("layer 12", "the loss", "dL/dW of layer 3", ...). */
  where: string;
  lastFinite: { step: number; norm: number; global: boolean } | null;
}

/** The global gradient norm of a snapshot when recorded, else that of the hidden weights. */
const normOf = (s: Snapshot): number => s.gradNorm ?? totalGradNorm(s.layers);

/**
 * NaN or Inf: in any layer's metrics, the loss or the global gradient norm of a snapshot, a
 * loss in lossHistory, or the trainer's explosion. Which step first, and where.
 */
export const nonFiniteRule = defineRule<NonFiniteDetection>({
  id: "non-finite",
  needs: ["nonfinite"],
  description:
    "NaN or Inf in any layer (z, a or gradients), the loss or the gradient norm (always critical)",
  applies(ctx) {
    const steps = ctx.nonFiniteSteps;
    const firstStep = steps[0];
    if (firstStep === undefined) return null;
    const at = ctx.snapshots.find((s) => s.step === firstStep);
    const layersAtFirst = at ? at.layers.filter((m) => m.nonfinite > 0).map((m) => m.layer) : [];
    const explosion = ctx.input.explosion?.step === firstStep ? ctx.input.explosion : null;
    let where: string;
    if (layersAtFirst.length > 0) where = `layer ${layersAtFirst[0]}`;
    else if (explosion) {
      const site = EXPLOSION_SITES[explosion.what] ?? explosion.what;
      where = explosion.layer !== null ? `${site} of layer ${explosion.layer}` : site;
    } else if (at && at.gradNorm !== undefined && !Number.isFinite(at.gradNorm)) {
      where = "the global gradient norm";
    } else where = "the loss";
    const firstLayer = layersAtFirst[0] ?? explosion?.layer ?? null;

    const allLayers = new Set<number>();
    for (const s of ctx.snapshots) {
      for (const m of s.layers) if (m.nonfinite > 0) allLayers.add(m.layer);
    }
    if (firstLayer !== null) allLayers.add(firstLayer);
    const before = ctx.snapshots.filter((s) => s.step < firstStep && isFiniteSnapshot(s));
    const prev = before[before.length - 1];
    const lastFinite = prev
      ? { step: prev.step, norm: normOf(prev), global: prev.gradNorm !== undefined }
      : null;

    const evidence: Evidence[] = [{ label: "first step with NaN/Inf", value: firstStep }];
    if (firstLayer !== null) {
      evidence.push({
        label: "first layer (from the input) with NaN/Inf at that step",
        value: firstLayer,
      });
    }
    if (layersAtFirst.length > 0) {
      evidence.push({
        label: "layers with NaN/Inf at that step",
        value: layersAtFirst.length,
        unit: "layers",
      });
      evidence.push({
        label: "NaN/Inf entries at that step",
        value: at!.layers.reduce((sum, m) => sum + m.nonfinite, 0),
      });
    }
    evidence.push({ label: "recorded steps with NaN/Inf", value: steps.length });
    if (lastFinite) {
      evidence.push({
        label: `${lastFinite.global ? "global gradient norm (every parameter)" : "norm of the hidden layers' weight gradients"} at step ${lastFinite.step} (last finite)`,
        value: lastFinite.norm,
      });
    }
    return {
      layers: [...allLayers].sort((a, b) => a - b),
      steps: [...steps],
      evidence,
      firstStep,
      firstLayer,
      layersAtFirst,
      where,
      lastFinite,
    };
  },
  severity: () => "critical",
  title: (d) =>
    d.layersAtFirst.length > 0
      ? `NaN/Inf values: first at step ${d.firstStep}, layer ${d.firstLayer}`
      : `NaN/Inf values: first at step ${d.firstStep}, in ${d.where}`,
  cause(ctx, d) {
    const where = `At step ${d.firstStep} NaN/Inf first appear in ${d.where}${d.layersAtFirst.length > 1 ? ` (of ${layersPhrase(d.layersAtFirst)})` : ""}`;
    const first = ctx.snapshots[0];
    const last = d.lastFinite
      ? ctx.snapshots.find((s) => s.step === d.lastFinite!.step)
      : undefined;
    const grew = last && first && first !== last ? normOf(last) / normOf(first) : Number.NaN;
    const name = d.lastFinite?.global
      ? "global gradient norm"
      : "hidden layers' weight-gradient norm";
    const before = d.lastFinite
      ? `; at step ${d.lastFinite.step} the ${name} was ${sci(d.lastFinite.norm)}${Number.isFinite(grew) && grew > 1 ? `, ${sci(grew)}x its value at step ${first!.step}` : ""}`
      : "";
    const max = ctx.config.dtype === "f32" ? "float32 (3.4e38)" : "float64 (1.8e308)";
    return `${where}${before}. Values beyond the largest ${max} become Inf, Inf - Inf and 0 x Inf make NaN, and every later update spreads them to all weights.`;
  },
  remedies(ctx) {
    const picks: RemedyPick[] = explodingPicks(ctx, false);
    return ctx.config.dtype === "f32" ? [...picks, { id: "float64" }] : picks;
  },
});
