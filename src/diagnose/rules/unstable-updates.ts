import { vanishingPicks } from "../gradient-flow.ts";
import { isFiniteSnapshot, median } from "../measures.ts";
import type { RemedyPick } from "../rank-remedies.ts";
import { type Detection, defineRule } from "../rule.ts";
import { num, pct, sci } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";
import type { Evidence } from "../types.ts";

interface UpdateDetection extends Detection {
  direction: "large" | "small";
  /** Median over layers of each layer's median log10 update ratio in the window. */
  median: number;
  flagged: number;
  measured: number;
  /** E[dz^2] at layer 2 over layer L of the last finite snapshot in the window (the verdict's span). */
  span: number;
  /** That snapshot's verdict has the vanishing condition. */
  vanishes: boolean;
}

const hasRatio = (u: number | null | undefined): u is number =>
  typeof u === "number" && !Number.isNaN(u) && u !== Number.POSITIVE_INFINITY;

/**
 * Unstable updates (training): over the recent snapshots, the median log10 update ratio is
 * above updateRatioHigh (-1) or below updateRatioLow (-5) in most layers (a healthy step
 * changes the weights by about 10^-3 of their size).
 */
export const unstableUpdatesRule = defineRule<UpdateDetection>({
  id: "unstable-updates",
  needs: ["updateRatio"],
  description: `training only: median log10(std(dW)/std(W)) over the last ${pct(THRESHOLDS.recentFraction)} of the recorded steps above ${THRESHOLDS.updateRatioHigh} (too large; critical above ${THRESHOLDS.updateRatioCritical}) or below ${THRESHOLDS.updateRatioLow} (too small) in more than ${pct(THRESHOLDS.updateLayerShare)} of the layers`,
  applies(ctx) {
    const withRatios = ctx.snapshots.filter((s) => s.layers.some((m) => hasRatio(m.updateRatio)));
    if (withRatios.length === 0) return null;
    const count = Math.max(1, Math.ceil(THRESHOLDS.recentFraction * withRatios.length));
    const recent = withRatios.slice(-count);
    const perLayer = new Map<number, number[]>();
    for (const s of recent) {
      for (const m of s.layers) {
        if (!hasRatio(m.updateRatio)) continue;
        const list = perLayer.get(m.layer) ?? [];
        list.push(m.updateRatio);
        perLayer.set(m.layer, list);
      }
    }
    const medians = [...perLayer.entries()].map(([layer, us]) => ({ layer, u: median(us) }));
    const large = medians.filter((x) => x.u > THRESHOLDS.updateRatioHigh).map((x) => x.layer);
    const small = medians.filter((x) => x.u < THRESHOLDS.updateRatioLow).map((x) => x.layer);
    const need = THRESHOLDS.updateLayerShare * medians.length;
    const direction = large.length > need ? "large" : small.length > need ? "small" : null;
    if (direction === null) return null;
    const layers = (direction === "large" ? large : small).sort((a, b) => a - b);
    const overall = median(medians.map((x) => x.u));
    const finite = recent.filter(isFiniteSnapshot);
    const last = finite[finite.length - 1];
    const flow = last ? ctx.flow(last) : null;
    const span = flow?.measures.span ?? Number.NaN;
    const vanishes = flow?.conditions.includes("vanishing") ?? false;
    const evidence: Evidence[] = [
      { label: "median log10 update ratio, std(dW)/std(W)", value: overall, unit: "log10" },
      {
        label: `layers with median log10 update ratio ${direction === "large" ? `above ${THRESHOLDS.updateRatioHigh}` : `below ${THRESHOLDS.updateRatioLow}`}`,
        value: layers.length,
        unit: `of ${medians.length}`,
      },
      { label: "recorded steps examined", value: recent.length },
    ];
    const lr = ctx.input.training?.lr;
    if (lr !== undefined) evidence.push({ label: "learning rate", value: lr });
    return {
      layers,
      steps: recent.map((s) => s.step),
      evidence: evidence.filter(
        (e) => Number.isFinite(e.value) || e.value === Number.NEGATIVE_INFINITY,
      ),
      direction,
      median: overall,
      flagged: layers.length,
      measured: medians.length,
      span,
      vanishes,
    };
  },
  severity: (d) =>
    d.direction === "large" && d.median > THRESHOLDS.updateRatioCritical ? "critical" : "warning",
  title: (d) =>
    `Updates too ${d.direction}: each step changes the weights by ${amount(d.median)} in ${d.flagged} of ${d.measured} layers`,
  cause(ctx, d) {
    const lr = ctx.input.training?.lr;
    const lrText = lr !== undefined ? ` (${num(lr)})` : "";
    if (d.direction === "large") {
      return `A step of about 10^-3 of a weight's size is the usual healthy scale; here the median is 10^${num(d.median, 2)}, so the learning rate${lrText} is too large for these gradients: the weights jump instead of descending, which can kill ReLUs or blow up the loss.`;
    }
    const vanish = d.vanishes
      ? ` Here the gradient vanishes toward the input (E[dz^2] at layer 2 is ${sci(d.span)} of layer L's), so the lower layers barely move.`
      : "";
    return `A step of about 10^-3 of a weight's size is the usual healthy scale; here the median is 10^${num(d.median, 2)}: the learning rate${lrText} is too small for these gradients, or the gradients themselves are tiny.${vanish}`;
  },
  variant: (d) => d.direction,
  remedies(ctx, d) {
    if (d.direction === "large") return [{ id: "lower-lr" }, { id: "gradient-clipping" }];
    const picks: RemedyPick[] = d.vanishes ? vanishingPicks(ctx) : [];
    return [...picks, { id: "higher-lr" }];
  },
});

/** A step's size next to the weights': "25% of their size", "10^-7.6 of their size", "10^31 times their size". */
function amount(log10: number): string {
  if (!Number.isFinite(log10)) return log10 > 0 ? "more than their size" : "nothing";
  const f = 10 ** log10;
  if (f >= 0.01 && f < 10) return `${pct(f)} of their size`;
  return f < 0.01 ? `10^${num(log10, 2)} of their size` : `10^${num(log10, 2)} times their size`;
}
