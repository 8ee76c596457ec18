import { VERDICT_THRESHOLDS } from "../../verdict/thresholds.ts";
import { gradientFlowCause } from "../gradient-flow.ts";
import { isFiniteSnapshot, scanSnapshots } from "../measures.ts";
import type { RemedyPick } from "../rank-remedies.ts";
import { type Detection, defineRule, downgrade } from "../rule.ts";
import { num, sci } from "../text.ts";
import type { Evidence } from "../types.ts";

interface SignalDetection extends Detection {
  direction: "collapse" | "blowup";
  ratio: number;
  from: number;
  depth: number;
  qFrom: number;
  qLast: number;
  step: number;
  resolved: boolean;
}

/**
 * The forward signal: q (the mean square of the pre-activations) of layer L over that of
 * layer 2 below 1e-4 (collapse: the output no longer depends on the input's scale, and
 * round-off takes over) or above 1e4 (blow-up: the activations grow toward overflow). The
 * verdict's signal-collapse / signal-blowup conditions.
 */
export const forwardSignalRule = defineRule<SignalDetection>({
  id: "forward-signal",
  needs: ["q", "gradPreactMeanSq"],
  description: `forward signal q at layer L over layer 2 below ${VERDICT_THRESHOLDS.signalCollapse} (collapse) or above ${VERDICT_THRESHOLDS.signalBlowup} (blow-up) (warning)`,
  applies(ctx) {
    const scan = scanSnapshots(ctx.snapshots.filter(isFiniteSnapshot), (s) => {
      const j = ctx.flow(s);
      if (j.conditions.includes("signal-collapse")) return { j, direction: "collapse" as const };
      if (j.conditions.includes("signal-blowup")) return { j, direction: "blowup" as const };
      return null;
    });
    if (!scan) return null;
    const { snapshot, value } = scan.latest;
    const m = value.j.measures;
    const from = snapshot.layers.find((l) => l.layer === m.fitFrom);
    const last = snapshot.layers[snapshot.layers.length - 1];
    const evidence: Evidence[] = [
      {
        label: `forward signal q at layer ${m.depth} over layer ${m.fitFrom}`,
        value: m.signalRatio,
      },
      { label: `q at layer ${m.fitFrom}`, value: from?.q ?? Number.NaN },
      { label: `q at layer ${m.depth}`, value: last?.q ?? Number.NaN },
      {
        label: `mean-square gradient E[(dL/dz)^2] at layer ${m.fitFrom} over layer ${m.depth}`,
        value: m.span,
      },
    ];
    return {
      layers: snapshot.layers.map((l) => l.layer).filter((l) => l >= m.fitFrom),
      steps: scan.hits.map((h) => h.snapshot.step),
      evidence: evidence.filter((e) => !Number.isNaN(e.value)),
      direction: value.direction,
      ratio: m.signalRatio,
      from: m.fitFrom,
      depth: m.depth,
      qFrom: from?.q ?? Number.NaN,
      qLast: last?.q ?? Number.NaN,
      step: snapshot.step,
      resolved: scan.resolved,
    };
  },
  severity: (d) => downgrade("warning", d.resolved),
  title: (d) =>
    d.direction === "collapse"
      ? `Forward signal collapsing: q falls to ${sci(d.ratio)} of layer ${d.from}'s by layer ${d.depth}`
      : `Forward signal blowing up: q grows ${sci(d.ratio)}x from layer ${d.from} to layer ${d.depth}`,
  cause(ctx, d) {
    const theory = ctx.theory();
    const fixed =
      theory && Number.isFinite(theory.qStar)
        ? ` Mean-field theory puts the fixed point of q at q* = ${num(theory.qStar)}.`
        : "";
    const flow = gradientFlowCause(
      ctx,
      { factor: Number.NaN, ratio: Number.NaN, step: d.step, sinceInit: true },
      d.direction === "collapse" ? "vanishing" : "exploding",
    );
    return `Each layer multiplies the forward signal's mean square by about ${num(d.ratio ** (1 / Math.max(1, d.depth - d.from)))} (q = ${sci(d.qFrom)} at layer ${d.from}, ${sci(d.qLast)} at layer ${d.depth}).${fixed} ${flow}`;
  },
  remedies(ctx, d): RemedyPick[] {
    const act = ctx.config.activation;
    const init: RemedyPick[] =
      act === "relu" || act === "leaky-relu" ? [{ id: "he-init" }] : [{ id: "critical-init" }];
    return d.direction === "collapse"
      ? [...init, { id: "batch-norm" }, { id: "layer-norm" }]
      : [...init, { id: "layer-norm" }, { id: "batch-norm" }];
  },
});
