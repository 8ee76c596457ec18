import { mean, scanSnapshots, unitsCanDie } from "../measures.ts";
import type { RemedyPick } from "../rank-remedies.ts";
import { type Detection, defineRule, downgrade } from "../rule.ts";
import { layersPhrase, num, pct } from "../text.ts";
import { THRESHOLDS } from "../thresholds.ts";
import type { Evidence, Snapshot } from "../types.ts";

type DeadCause = "died-in-training" | "bias" | "collapse" | "generic";

interface DeadDetection extends Detection {
  maxDead: number;
  maxDeadLayer: number;
  meanDead: number;
  maxInactive: number;
  maxInactiveLayer: number;
  /** biasVar / mean q of the flagged layers. */
  biasShare: number;
  /** Mean over flagged layers of dead / inactive. */
  collapse: number;
  firstMeanDead: { step: number; value: number } | null;
  step: number;
  kind: DeadCause;
  resolved: boolean;
}

const flaggedLayers = (s: Snapshot): number[] =>
  s.layers
    .filter((m) => m.dead > THRESHOLDS.deadFraction || m.inactive > THRESHOLDS.inactiveFraction)
    .map((m) => m.layer);

/**
 * Dead units: more than deadFraction (30%) of a layer's units are off (phi' = 0) for every
 * example of the batch, or more than inactiveFraction (90%) of its entries are.
 */
export const deadUnitsRule = defineRule<DeadDetection>({
  id: "dead-units",
  needs: ["dead", "inactive"],
  description: `more than ${pct(THRESHOLDS.deadFraction)} of a ReLU layer's units dead (phi' = 0 for the whole batch) or more than ${pct(THRESHOLDS.inactiveFraction)} of its entries inactive; warning when a layer exceeds ${pct(THRESHOLDS.deadWarningMax)} dead or the mean over layers ${pct(THRESHOLDS.deadWarningMean)}, critical above ${pct(THRESHOLDS.deadCriticalMax)} or a mean of ${pct(THRESHOLDS.deadCriticalMean)}`,
  applies(ctx) {
    // Only ReLU-family units die: their derivative is exactly 0 on a half-line. A tanh or
    // sigmoid unit with phi' = 0 has saturated (its derivative underflowed): the saturation rule.
    if (!unitsCanDie(ctx.config)) return null;
    const scan = scanSnapshots(ctx.snapshots, (s) => {
      const layers = flaggedLayers(s);
      return layers.length > 0 ? layers : null;
    });
    if (!scan) return null;
    const { snapshot, value: layers } = scan.latest;
    const all = snapshot.layers;
    const flagged = all.filter((m) => layers.includes(m.layer));
    const deadest = all.reduce((a, b) => (b.dead > a.dead ? b : a));
    const idlest = all.reduce((a, b) => (b.inactive > a.inactive ? b : a));
    const meanDead = mean(all.map((m) => m.dead));
    const meanQ = mean(flagged.map((m) => m.q));
    const biasShare = ctx.config.biasVar > 0 && meanQ > 0 ? ctx.config.biasVar / meanQ : 0;
    const collapse = mean(flagged.map((m) => (m.inactive > 0 ? m.dead / m.inactive : 0)));
    const first = ctx.snapshots[0]!;
    const firstMeanDead =
      ctx.training && first !== snapshot
        ? { step: first.step, value: mean(first.layers.map((m) => m.dead)) }
        : null;
    let kind: DeadCause = "generic";
    if (firstMeanDead && meanDead - firstMeanDead.value > THRESHOLDS.deadGrowth)
      kind = "died-in-training";
    else if (biasShare > THRESHOLDS.biasShare) kind = "bias";
    else if (collapse > THRESHOLDS.collapseShare) kind = "collapse";
    const evidence: Evidence[] = [
      {
        label: `largest dead-unit fraction (layer ${deadest.layer})`,
        value: 100 * deadest.dead,
        unit: "%",
      },
      { label: "mean dead-unit fraction over all layers", value: 100 * meanDead, unit: "%" },
      {
        label: `layers with over ${pct(THRESHOLDS.deadFraction)} dead units`,
        value: all.filter((m) => m.dead > THRESHOLDS.deadFraction).length,
        unit: `of ${all.length}`,
      },
      {
        label: `largest inactive-entry fraction (layer ${idlest.layer})`,
        value: 100 * idlest.inactive,
        unit: "%",
      },
    ];
    if (biasShare > 0) {
      evidence.push({
        label: "bias share of the pre-activation mean square (biasVar / q)",
        value: biasShare,
      });
    }
    if (firstMeanDead) {
      evidence.push({
        label: `mean dead-unit fraction at step ${firstMeanDead.step}`,
        value: 100 * firstMeanDead.value,
        unit: "%",
      });
    }
    return {
      layers,
      steps: scan.hits.map((h) => h.snapshot.step),
      evidence,
      maxDead: deadest.dead,
      maxDeadLayer: deadest.layer,
      meanDead,
      maxInactive: idlest.inactive,
      maxInactiveLayer: idlest.layer,
      biasShare,
      collapse,
      firstMeanDead,
      step: snapshot.step,
      kind,
      resolved: scan.resolved,
    };
  },
  severity(d) {
    let s: "info" | "warning" | "critical" = "info";
    if (d.maxDead > THRESHOLDS.deadCriticalMax || d.meanDead > THRESHOLDS.deadCriticalMean)
      s = "critical";
    else if (
      d.maxDead > THRESHOLDS.deadWarningMax ||
      d.meanDead > THRESHOLDS.deadWarningMean ||
      d.maxInactive > THRESHOLDS.inactiveFraction
    )
      s = "warning";
    return downgrade(s, d.resolved);
  },
  title: (d, ctx) =>
    d.maxDead > THRESHOLDS.deadFraction
      ? `Dead ${ctx.config.activation} units: ${pct(d.maxDead)} of layer ${d.maxDeadLayer}'s units never activate (${layersPhrase(d.layers)} flagged)`
      : `Mostly inactive ${ctx.config.activation} units: ${pct(d.maxInactive)} of layer ${d.maxInactiveLayer}'s outputs are zero`,
  cause(ctx, d) {
    const off = "an inactive ReLU passes no gradient, so these units' weights stop learning";
    switch (d.kind) {
      case "died-in-training": {
        const lr = ctx.input.training?.lr;
        return `The mean dead-unit fraction rose from ${pct(d.firstMeanDead!.value)} at step ${d.firstMeanDead!.step} to ${pct(d.meanDead)} at step ${d.step}: large updates${lr !== undefined ? ` (lr ${num(lr)})` : ""} pushed these units' pre-activations below zero for every input, and a dead ReLU gets no gradient that could revive it (dying ReLU).`;
      }
      case "bias":
        return `Biases drawn with variance ${num(ctx.config.biasVar)} make up ${pct(Math.min(1, d.biasShare))} of the pre-activation mean square in ${layersPhrase(d.layers)}, so whether a unit fires is decided by its bias rather than by the input: units with negative biases are off for every example, and ${off}.`;
      case "collapse":
        return `In ${layersPhrase(d.layers)} a unit is either on for every example or off for every one (dead units are ${pct(d.collapse)} of the inactive entries): with depth the examples' representations have become nearly identical (correlation -> 1, as in any deep ReLU network), so a unit that is off is off for the whole batch, and ${off}.`;
      case "generic":
        return `${pct(d.maxDead)} of layer ${d.maxDeadLayer}'s units output 0 for every example in the batch; ${off}.`;
    }
  },
  remedies(_ctx, d) {
    const order: Record<DeadCause, RemedyPick[]> = {
      "died-in-training": [
        { id: "lower-lr" },
        { id: "leaky-relu-he" },
        { id: "batch-norm" },
        { id: "gradient-clipping" },
        { id: "he-init" },
      ],
      bias: [{ id: "zero-bias" }, { id: "leaky-relu-he" }, { id: "batch-norm" }, { id: "he-init" }],
      collapse: [
        { id: "leaky-relu-he" },
        { id: "batch-norm" },
        { id: "residual" },
        { id: "he-init" },
      ],
      generic: [
        { id: "leaky-relu-he" },
        { id: "he-init" },
        { id: "batch-norm" },
        { id: "lower-lr" },
      ],
    };
    return [...order[d.kind], ...[{ id: "leaky-relu-he" as const }, { id: "batch-norm" as const }]];
  },
});
