import { describe, expect, it } from "vitest";
import { resolveProbeConfig } from "../../experiment/config.ts";
import { runProbe } from "../../experiment/probe-run.ts";
import { predictProbe } from "../../experiment/probe-theory.ts";
import { nodeDocument } from "../node-dom.ts";
import { probeFigures } from "./probe.ts";

const document = nodeDocument();

/** The pixel points of the dashed (theory) line of a figure, or null when it has none. */
function dashedPoints(svg: string): { x: number; y: number }[] | null {
  const d = /<g stroke-dasharray="[^"]*"[^>]*aria-label="line"><path d="([^"]*)"/.exec(svg)?.[1];
  if (!d) return null;
  return d
    .slice(1)
    .split("L")
    .map((p) => {
      const [x, y] = p.split(",").map(Number);
      return { x: x!, y: y! };
    });
}

function probeWithTheory(input: Record<string, unknown>) {
  const config = resolveProbeConfig({ depth: 6, width: 32, batch: 8, ...input });
  const result = runProbe(config);
  result.theory = predictProbe(config);
  return result;
}

describe("probe figures with --theory", () => {
  it("draw the batch-norm mean-field E[dz^2] beside a batch-norm network, labelled as such", () => {
    const result = probeWithTheory({ activation: "relu", init: "he-normal", batchNorm: true });
    expect(result.theory?.source).toBe("batch-norm mean-field");
    const figures = probeFigures(result, { document });
    const preact = figures.find((f) => f.name === "grad-preact")!;
    expect(preact.svg).toContain("batch-norm mean-field theory (dashed)");
    expect(preact.caption).toContain("batch-norm mean-field prediction");
    const points = dashedPoints(preact.svg);
    expect(points).toHaveLength(6);
    // On the log axis pixel gaps are proportional to log ratios of the predicted values.
    const predicted = result.theory!.layers.map((l) => l.gradPreactMeanSq);
    const dy = (i: number, j: number) => points![j]!.y - points![i]!.y;
    const dlog = (i: number, j: number) => Math.log(predicted[j]! / predicted[i]!);
    expect(dlog(0, 1)).toBeGreaterThan(0); // ReLU + BN: E[dz^2] rises from layer 1 to 2
    expect(dy(0, 1) / dy(1, 5)).toBeCloseTo(dlog(0, 1) / dlog(1, 5), 2);
    // No ||dW|| prediction with batch norm: no dashed line, and the caption says so.
    const norm = figures.find((f) => f.name === "gradient-norm")!;
    expect(dashedPoints(norm.svg)).toBeNull();
    expect(norm.caption).toContain("No prediction of ‖∂L/∂W‖ with batch norm");
  });

  it("keep the plain mean-field lines (both figures) for a plain network", () => {
    const result = probeWithTheory({ activation: "tanh", init: "xavier-normal" });
    const figures = probeFigures(result, { document });
    for (const name of ["gradient-norm", "grad-preact"]) {
      const svg = figures.find((f) => f.name === name)!.svg;
      expect(svg).toContain("mean-field theory (dashed)");
      expect(svg).not.toContain("batch-norm");
      expect(dashedPoints(svg)).toHaveLength(6);
    }
  });

  it("draw no theory line without --theory", () => {
    const config = resolveProbeConfig({ depth: 4, width: 16, batch: 8, batchNorm: true });
    const figures = probeFigures(runProbe(config), { document });
    for (const f of figures) expect(dashedPoints(f.svg)).toBeNull();
  });
});
