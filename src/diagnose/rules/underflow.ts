import { fitPerLayerFactor } from "../../verdict/summary.ts";
import { vanishingPicks } from "../gradient-flow.ts";
import { scanSnapshots } from "../measures.ts";
import { type Detection, defineRule } from "../rule.ts";
import { layersPhrase, num, sci } from "../text.ts";
import type { Evidence } from "../types.ts";

interface UnderflowDetection extends Detection {
  underflowLayers: number[];
  /** Some gradient was rounded to exactly zero (otherwise it is only near the smallest normal). */
  rounded: boolean;
  smallest: number;
  factor: number;
}

/** Smallest positive magnitude of each dtype (subnormal). */
const SMALLEST = { f32: 1.401298464324817e-45, f64: 5e-324 } as const;
/** Smallest normal magnitude of each dtype: below it precision is lost. */
const MIN_NORMAL = { f32: 1.1754943508222875e-38, f64: 2.2250738585072014e-308 } as const;

/**
 * Underflow: a layer's gradient dL/dz is exactly zero although phi' and the gradient above are
 * not (LayerMetrics.underflow): the dtype rounded it to 0, so the layer gets no update at all.
 */
export const underflowRule = defineRule<UnderflowDetection>({
  id: "underflow",
  needs: ["gradPreactMeanSq"],
  description:
    "a gradient rounded to exactly zero by the dtype (LayerMetrics.underflow), or an RMS gradient within 1e4 of the dtype's smallest normal number (critical)",
  applies(ctx) {
    // zero weights make gradients truly zero, not rounded to zero
    if (!(ctx.weightVar > 0)) return null;
    const scan = scanSnapshots(ctx.snapshots, (s) => {
      const j = ctx.flow(s);
      if (!j.conditions.includes("underflow")) return null;
      const m = j.measures;
      return [...new Set([...m.underflowPoints, ...m.nearUnderflowPoints])].sort((a, b) => a - b);
    });
    if (!scan) return null;
    const { snapshot, value } = scan.latest;
    const nonzero = snapshot.layers
      .map((m) => Math.sqrt(m.gradPreactMeanSq))
      .filter((g) => g > 0 && Number.isFinite(g));
    const smallest = nonzero.length > 0 ? Math.min(...nonzero) : Number.NaN;
    const evidence: Evidence[] = [
      { label: "layers whose gradient underflowed to zero", value: value.length, unit: "layers" },
      { label: "highest underflowed layer", value: Math.max(...value) },
      { label: "smallest nonzero RMS gradient |dL/dz| of a layer", value: smallest },
      { label: `smallest positive ${ctx.config.dtype} value`, value: SMALLEST[ctx.config.dtype] },
      {
        label: "subnormal gradient entries",
        value: snapshot.layers.reduce((sum, m) => sum + m.subnormal, 0),
      },
    ];
    return {
      layers: value,
      steps: scan.hits.map((h) => h.snapshot.step),
      evidence: evidence.filter((e) => !Number.isNaN(e.value)),
      underflowLayers: value,
      rounded: snapshot.layers.some((m) => m.underflow),
      smallest,
      factor: fitPerLayerFactor(snapshot.layers),
    };
  },
  severity: () => "critical",
  title: (d, ctx) =>
    d.rounded
      ? `Gradient underflow: ${ctx.config.dtype === "f32" ? "float32" : "float64"} rounded the gradient to exactly 0 in ${layersPhrase(d.underflowLayers)}`
      : `Gradient near underflow: the RMS gradient is within 1e4 of the smallest normal ${ctx.config.dtype === "f32" ? "float32" : "float64"} number in ${layersPhrase(d.underflowLayers)}`,
  cause(ctx, d) {
    const dtype = ctx.config.dtype === "f32" ? "float32" : "float64";
    const shrink = Number.isFinite(d.factor)
      ? `The mean-square gradient shrinks by ${num(d.factor)} per layer toward the input`
      : "The gradient shrinks toward the input";
    const smallest = Number.isFinite(d.smallest)
      ? ` (the smallest layer RMS gradient left is ${sci(d.smallest)})`
      : "";
    if (!d.rounded) {
      return `${shrink}; ${dtype} loses precision below ${sci(MIN_NORMAL[ctx.config.dtype])} and holds nothing below ${sci(SMALLEST[ctx.config.dtype])}${smallest}: in ${layersPhrase(d.underflowLayers)} the gradient is within 1e4 of that edge, and the next shrink rounds it to 0.`;
    }
    return `${shrink}; ${dtype} holds nothing smaller than ${sci(SMALLEST[ctx.config.dtype])}${smallest}, so the gradient became exactly 0 in ${layersPhrase(d.underflowLayers)}, which get no update.`;
  },
  remedies(ctx) {
    return [
      {
        id: "float64",
        why: "float64 keeps gradients down to 1e-308 measurable instead of 0; the layers still learn slowly until the vanishing itself is fixed (the remedies below)",
      },
      ...vanishingPicks(ctx),
    ];
  },
});
