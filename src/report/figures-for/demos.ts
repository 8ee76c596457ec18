import { type ActivationName, getActivation } from "../../core/activations.ts";
import type { DepthSweepResult } from "../../experiment/depth-sweep.ts";
import type { ActivationTable } from "../../theory/demos/activation-table.ts";
import type { MatrixPowerDemo } from "../../theory/demos/matrix-power.ts";
import type { JacobianSpectrum } from "../../theory/jacobian/jacobian.ts";
import type { PhaseDiagram } from "../../theory/mean-field.ts";
import { layerScale, logScale, MARGINS, MIN_LOG_DECADES } from "../axes.ts";
import { type FigureOptions, resolveDocument } from "../dom.ts";
import { activationFigure, sampleActivation } from "../figures/activation-figure.ts";
import { matrixPowerGrowth } from "../figures/matrix-power.ts";
import { phaseDiagram } from "../figures/phase-diagram.ts";
import { singularValueHistogram } from "../figures/singular-values.ts";
import { formatNumber } from "../format.ts";
import { composeFigure, DEFAULT_WIDTH, type LegendItem } from "../frame.ts";
import { categorical } from "../palette.ts";
import { logSeriesMarks, offScaleItem, positiveExtent, type Series } from "../series.ts";
import { describeNetwork, type FigureSetOptions, type NamedFigure } from "./common.ts";

function entry(v: number): string {
  return formatNumber(v, 4);
}

/** W for a legend: its entries when small, else its size. */
function matrixLabel(W: readonly (readonly number[])[]): string {
  if (W.length > 3) return `${W.length}×${W.length} W`;
  return `W = [${W.map((row) => `[${row.map(entry).join(", ")}]`).join(", ")}]`;
}

/** `demo matrix-power --plot`: ‖Wⁿ‖₂ of every case with its prediction ρⁿ dashed. */
export function matrixPowerFigures(
  demos: readonly MatrixPowerDemo[],
  options: FigureSetOptions = {},
): NamedFigure[] {
  const layers = demos[0]?.steps.map((s) => s.power) ?? [];
  const norms = demos.flatMap((d) => [
    {
      label: `‖Wⁿ‖₂, ${matrixLabel(d.matrix)}`,
      values: d.steps.map((s) => s.spectralNorm),
    },
    {
      label: `ρⁿ, ρ = ${entry(d.spectralRadius)} (${d.growth})`,
      values: d.steps.map((s) => s.predicted),
      dashed: true,
    },
  ]);
  return [
    {
      name: `${options.prefix ?? ""}matrix-power`,
      title: "Growth of the matrix power Wⁿ with depth",
      svg: matrixPowerGrowth(
        { layers, norms },
        {
          document: options.document,
          subtitle:
            "identity activations, one shared weight matrix: the signal after n layers is Wⁿx, so its size goes as ρ(W)ⁿ",
        },
      ),
      caption:
        "On a log axis ρⁿ is a straight line: up when the spectral radius ρ > 1 (exploding), down when ρ < 1 (vanishing).",
    },
  ];
}

/** Inputs where an activation has a kink or a jump in φ′ (sampled exactly, from both sides). */
export const ACTIVATION_BREAKPOINTS: Readonly<Partial<Record<ActivationName, readonly number[]>>> =
  {
    relu: [0],
    "leaky-relu": [0],
    elu: [0],
    selu: [0],
  };

/**
 * `demo activations --plot`: one figure per activation (value, derivative, healthy region),
 * each drawn from φ itself sampled every 0.01 over the table's range with its breakpoints
 * (the table's own grid, every 0.5 by default, would draw the sigmoid′ peak as a polygon and a
 * ReLU step as a ramp).
 */
export function activationFigures(
  tables: readonly ActivationTable[],
  options: FigureSetOptions = {},
): NamedFigure[] {
  return tables.map((t) => {
    const name = t.name === "leaky-relu" ? `leaky-relu(${t.slope})` : t.name;
    const fn = getActivation(t.name, { slope: t.slope });
    const xs = t.points.map((p) => p.x);
    const from = Math.min(...xs);
    const to = Math.max(...xs);
    const count = Math.min(20_001, Math.max(1601, Math.round((to - from) / 0.01) + 1));
    const points = sampleActivation(fn, from, to, ACTIVATION_BREAKPOINTS[t.name] ?? [], count);
    const pct = `${formatNumber((t.fraction ?? 0.01) * 100)}%`;
    return {
      name: `${options.prefix ?? ""}activation-${t.name}`,
      title: `${name}: value and derivative`,
      svg: activationFigure(
        {
          name,
          points,
          healthyRegion: t.healthyRegion,
          fraction: t.fraction,
          unsaturatedOutput: t.unsaturatedOutput,
          derivative: (x) => fn.derivative(x),
        },
        { document: options.document },
      ),
      caption: `Shaded: where |φ′| is at least ${pct} of its maximum (a negative φ′ passes gradient too). A unit whose input sits outside it passes almost no gradient.`,
    };
  });
}

/**
 * Figure: the gradient norm reaching layer 1 against network depth (log axis), with the
 * fitted per-layer factor as a dashed line.
 */
export function depthSweepFigure(r: DepthSweepResult, options: FigureOptions = {}): string {
  const measured: Series = {
    label: "‖∂L/∂W‖ of layer 1",
    color: categorical(0),
    points: r.rows.map((row) => ({ x: row.depth, y: row.gradWeightNorm1 })),
    dots: r.rows.length <= 60,
  };
  const series: Series[] = [measured];
  const f = r.perLayerNormFactor;
  const usable = measured.points.filter((p) => p.y > 0 && Number.isFinite(p.y));
  if (Number.isFinite(f) && f > 0 && usable.length >= 2) {
    // The least-squares line of ln y on depth passes through the means.
    const mx = usable.reduce((s, p) => s + p.x, 0) / usable.length;
    const my = usable.reduce((s, p) => s + Math.log(p.y), 0) / usable.length;
    series.push({
      label: `fit: × ${formatNumber(f, 3)} per added layer`,
      color: categorical(0),
      points: r.rows.map((row) => ({
        x: row.depth,
        y: Math.exp(my + Math.log(f) * (row.depth - mx)),
      })),
      dashed: true,
    });
  }
  const [lo, hi] = positiveExtent(series);
  const y = logScale(lo, hi, "‖∂L/∂W‖ of layer 1 (log scale)", 8, MIN_LOG_DECADES);
  const { marks, offScale } = logSeriesMarks(series, (y.domain as [number, number])[0]);
  const legend: LegendItem[] = series.map((s) => ({
    label: s.label,
    color: s.color,
    shape: s.dashed ? "dashed" : "line-dot",
  }));
  if (offScale > 0) legend.push(offScaleItem());
  return composeFigure({
    document: resolveDocument(options.document),
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 460,
    header: {
      title: options.title ?? "Gradient reaching layer 1 as the network gets deeper",
      subtitle: options.subtitle,
      legend,
    },
    panels: [
      () => ({ ...MARGINS, x: layerScale(r.minDepth, r.maxDepth, "network depth L"), y, marks }),
    ],
  });
}

/** `demo depth --plot`. */
export function depthSweepFigures(
  r: DepthSweepResult,
  options: FigureSetOptions = {},
): NamedFigure[] {
  return [
    {
      name: `${options.prefix ?? ""}depth-sweep`,
      title: "Gradient reaching layer 1 as the network gets deeper",
      svg: depthSweepFigure(r, {
        document: options.document,
        subtitle: `depths ${r.minDepth}..${r.maxDepth}; ${describeNetwork(r.config).replace(/^depth \d+, /, "")}`,
      }),
      caption:
        "Each added layer multiplies the gradient at layer 1 by about the same factor: a straight line on the log axis.",
    },
  ];
}

/** The condition number and rank in words: finite, or the numerical rank when singular. */
export function conditionText(
  s: Pick<
    JacobianSpectrum,
    "conditionNumber" | "numericalRank" | "singularValues" | "rankTolerance"
  >,
): string {
  const n = s.singularValues.length;
  if (s.numericalRank >= n)
    return `condition number ${formatNumber(s.conditionNumber, 3)}, full rank`;
  return `numerical rank ${s.numericalRank} of ${n} (σ ≤ ${formatNumber(s.rankTolerance, 2)} is 0 to float64), condition number ∞`;
}

/** `jacobian --plot`: the histogram of the Jacobian's singular values. */
export function jacobianFigures(
  s: JacobianSpectrum,
  options: FigureSetOptions = {},
): NamedFigure[] {
  const o = s.options;
  const act = o.activation === "leaky-relu" ? `leaky-relu(${o.slope})` : o.activation;
  const label = `${act}, ${o.init}${o.weightVar !== 1 ? ` (weight var ${o.weightVar})` : ""}, depth ${o.depth}, width ${o.width}`;
  return [
    {
      name: `${options.prefix ?? ""}jacobian-singular-values`,
      title: "Singular values of the input-output Jacobian",
      svg: singularValueHistogram(
        [{ label, values: s.singularValues, zeroBelow: s.rankTolerance }],
        {
          document: options.document,
          subtitle: `mean σ² ${formatNumber(s.meanSq, 3)}, ${conditionText(s)}; x ~ N(0, ${o.inputScale}² I), seed ${o.seed}`,
        },
      ),
      caption:
        "Dynamical isometry means every singular value near 1: gradients keep their size in every direction.",
    },
  ];
}

/** `theory --plot`: chi1 over (weight var, bias var) with the given network marked. */
export function phaseDiagramFigures(
  d: PhaseDiagram,
  marker: { weightVar: number; biasVar: number } | null,
  options: FigureSetOptions = {},
): NamedFigure[] {
  const inside = (v: number, grid: readonly number[]) =>
    grid.length > 0 && v >= Math.min(...grid) && v <= Math.max(...grid);
  const shown =
    marker !== null && inside(marker.weightVar, d.weightVars) && inside(marker.biasVar, d.biasVars);
  const name = d.activation === "leaky-relu" ? `leaky-relu(${d.slope})` : d.activation;
  const markText = marker
    ? `σ_w² = ${formatNumber(marker.weightVar, 4)}, σ_b² = ${formatNumber(marker.biasVar, 4)}`
    : "";
  return [
    {
      name: `${options.prefix ?? ""}phase-diagram`,
      title: `Phase diagram for ${name}`,
      svg: phaseDiagram(
        {
          grid: d.points.map((p) => ({ weightVar: p.weightVar, biasVar: p.biasVar, chi1: p.chi1 })),
          criticalLine: d.criticalLine,
          ...(marker && shown ? { marker: { ...marker, label: markText } } : {}),
        },
        {
          document: options.document,
          title: `Phase diagram for ${name}: gradient growth per layer χ₁`,
          subtitle:
            marker && !shown
              ? `${markText} lies outside this grid (widen --weight-vars / --bias-vars to see it)`
              : undefined,
        },
      ),
      caption:
        "Blue: ordered phase, gradients vanish (χ₁ < 1); red: chaotic phase, they explode (χ₁ > 1). Initialize on the critical line.",
    },
  ];
}
