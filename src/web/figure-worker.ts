/**
 * The figure worker: draws SVG with the report module's plot functions on a linkedom
 * document, so the page's thread only swaps finished markup in. Story computations (matrix
 * powers, activation tables) run here too.
 */
import { type ActivationName, getActivation, isActivationName } from "../core/activations.ts";
import { decisionBoundary } from "../report/figures/decision-boundary.ts";
import { formatNumber } from "../report/format.ts";
import {
  activationFigure,
  activationHistograms,
  type FigureDocument,
  gradientHeatmap,
  gradientNormByLayer,
  lossCurves,
  matrixPowerGrowth,
  phaseDiagram as phaseDiagramFigure,
  updateRatio,
} from "../report/index.ts";
import { nodeDocument } from "../report/node-dom.ts";
import { activationTable } from "../theory/demos/activation-table.ts";
import { matrixPowerDemo } from "../theory/demos/matrix-power.ts";
import {
  criticalWeightVar,
  type PhaseDiagram,
  phaseDiagram,
  theoryReport,
} from "../theory/mean-field.ts";
import type {
  FigureAnswer,
  FigureFrame,
  FigureRequest,
  PhaseDiagramInfo,
} from "./figure-protocol.ts";
import { fixedHeatmap, linePanels } from "./lab-figures.ts";
import { phaseGrid } from "./phase-grid.ts";

interface WorkerScope {
  postMessage(message: FigureAnswer): void;
  addEventListener(
    type: "message",
    listener: (event: { data: { id: number; request: FigureRequest } }) => void,
  ): void;
}
const scope = globalThis as unknown as WorkerScope;
const document: FigureDocument = nodeDocument();

function options(frame: FigureFrame) {
  const o: {
    document: FigureDocument;
    width?: number;
    height?: number;
    title?: string;
    subtitle?: string;
  } = { document };
  if (frame.width !== undefined) o.width = frame.width;
  if (frame.height !== undefined) o.height = frame.height;
  if (frame.title !== undefined) o.title = frame.title;
  if (frame.subtitle !== undefined) o.subtitle = frame.subtitle;
  return o;
}

/** Phase diagrams take a few hundred ms: keep the last few (moving the marker reuses one). */
const diagrams = new Map<string, PhaseDiagram>();

function diagramFor(
  name: ActivationName,
  slope: number,
  weightVars: number[],
  biasVars: number[],
): PhaseDiagram {
  const key = JSON.stringify([name, slope, weightVars[0], weightVars.at(-1), biasVars.at(-1)]);
  let d = diagrams.get(key);
  if (!d) {
    d = phaseDiagram(getActivation(name, { slope }), weightVars, biasVars);
    if (diagrams.size >= 6) diagrams.delete(diagrams.keys().next().value!);
    diagrams.set(key, d);
  }
  return d;
}

function drawPhase(request: FigureRequest & { kind: "phase" }): { svg: string; info: unknown } {
  if (!isActivationName(request.activation))
    throw new RangeError(`unknown activation '${request.activation}'`);
  const name: ActivationName = request.activation;
  const { weightVar, biasVar } = request.marker;
  const act = getActivation(name, { slope: request.slope });
  const critical = criticalWeightVar(act, biasVar);
  const grid = phaseGrid(weightVar, biasVar, critical);
  const d = diagramFor(name, request.slope, grid.weightVars, grid.biasVars);
  const report = theoryReport(act, weightVar, biasVar);
  const label = name === "leaky-relu" ? `leaky-relu(${request.slope})` : name;
  // The numbers go in the subtitle: a long label beside the dot would run off the plot.
  const markText = `this network: σw² = ${formatNumber(weightVar, 4)}, σb² = ${formatNumber(biasVar, 4)}, χ₁ = ${formatNumber(report.chi1, 3)} (${report.phase})`;
  const subtitle = [
    grid.inside ? markText : `${markText} lies outside the diagram`,
    request.frame.subtitle,
  ]
    .filter(Boolean)
    .join("; ");
  const svg = phaseDiagramFigure(
    {
      grid: d.points.map((p) => ({ weightVar: p.weightVar, biasVar: p.biasVar, chi1: p.chi1 })),
      criticalLine: d.criticalLine,
      ...(grid.inside ? { marker: { weightVar, biasVar, label: "this network" } } : {}),
    },
    {
      ...options(request.frame),
      title: request.frame.title ?? `Phase diagram for ${label}: χ₁ per layer`,
      subtitle,
    },
  );
  const info: PhaseDiagramInfo = {
    weightVars: [grid.weightVars[0]!, grid.weightVars[grid.weightVars.length - 1]!],
    biasVars: [grid.biasVars[0]!, grid.biasVars[grid.biasVars.length - 1]!],
    chi1: report.chi1,
    phase: report.phase,
    criticalWeightVar: critical,
  };
  return { svg, info };
}

function draw(request: FigureRequest): { svg: string; info?: unknown } {
  switch (request.kind) {
    case "gradient":
      return {
        svg: gradientNormByLayer(request.runs, {
          ...options(request.frame),
          metric: request.metric,
          theory: request.theory,
        }),
      };
    case "heatmap":
      return { svg: gradientHeatmap(request.data, options(request.frame)) };
    case "panels":
      return { svg: linePanels(request.data, options(request.frame)) };
    case "fixedHeatmap":
      return { svg: fixedHeatmap(request.data, options(request.frame)) };
    case "updateRatio":
      return { svg: updateRatio(request.data, options(request.frame)) };
    case "loss":
      // Always a log axis: one that switches between linear and log misleads.
      return { svg: lossCurves(request.data, { ...options(request.frame), logLoss: true }) };
    case "histograms":
      return {
        svg: activationHistograms(request.layers, {
          ...options(request.frame),
          activation: request.activation,
        }),
      };
    case "decision":
      return { svg: decisionBoundary(request.data, options(request.frame)) };
    case "phase":
      return drawPhase(request);
    case "matrixPower": {
      const demo = matrixPowerDemo(request.matrix, request.layers);
      const rho = demo.spectralRadius;
      const svg = matrixPowerGrowth(
        {
          layers: demo.steps.map((s) => s.power),
          norms: [
            {
              label: "‖Wⁿ‖₂ (largest singular value)",
              values: demo.steps.map((s) => s.spectralNorm),
            },
            {
              label: `ρⁿ, spectral radius ρ = ${Number(rho.toPrecision(4))}`,
              values: demo.steps.map((s) => s.predicted),
              dashed: true,
            },
            { label: "‖Wⁿ‖_F (Frobenius)", values: demo.steps.map((s) => s.frobeniusNorm) },
          ],
        },
        options(request.frame),
      );
      const { steps: _steps, final: _final, ...info } = demo;
      return { svg, info: { ...info, lastNorm: demo.steps[demo.steps.length - 1]!.spectralNorm } };
    }
    case "activation": {
      if (!isActivationName(request.name))
        throw new RangeError(`unknown activation '${request.name}'`);
      const name: ActivationName = request.name;
      const table = activationTable(name, { from: -8, to: 8, step: 0.05, slope: request.slope });
      const label = name === "leaky-relu" ? `leaky-relu(${table.slope})` : name;
      const svg = activationFigure(
        {
          name: label,
          points: table.points,
          healthyRegion: table.healthyRegion,
          fraction: table.fraction,
          unsaturatedOutput: table.unsaturatedOutput,
        },
        options(request.frame),
      );
      const { points: _points, ...info } = table;
      return { svg, info };
    }
  }
}

scope.addEventListener("message", (event) => {
  const { id, request } = event.data;
  const start = performance.now();
  try {
    const { svg, info } = draw(request);
    scope.postMessage({ id, svg, info, ms: performance.now() - start });
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
