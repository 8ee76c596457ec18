import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nodeDocument } from "../node-dom.ts";
import { categorical } from "../palette.ts";
import { svgToPng } from "../png.ts";
import { decisionBoundary, regionRuns, tint } from "./decision-boundary.ts";

// A 4 x 3 grid: left half class 0, right half class 1, one non-finite cell at the top right.
const GRID = {
  xMin: 0,
  xMax: 4,
  yMin: -1,
  yMax: 2,
  nx: 4,
  ny: 3,
  classes: Int32Array.from([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, -1]),
};

describe("decision boundary figure", () => {
  it("merges equal neighbours of a row into one rectangle covering their cells", () => {
    const runs = regionRuns(GRID);
    expect(runs).toHaveLength(7);
    expect(runs[0]).toEqual({ x1: 0, x2: 2, y1: -1, y2: 0, fill: tint(categorical(0)) });
    expect(runs[1]).toEqual({ x1: 2, x2: 4, y1: -1, y2: 0, fill: tint(categorical(1)) });
    expect(runs[6]).toMatchObject({ x1: 3, x2: 4, y1: 1, y2: 2 });
    // The runs tile the box: their areas add up to its area.
    const area = runs.reduce((s, r) => s + (r.x2 - r.x1) * (r.y2 - r.y1), 0);
    expect(area).toBeCloseTo(12, 12);
  });

  it("tints towards white", () => {
    expect(tint("#000000", 0.25)).toBe("#bfbfbf");
    expect(tint("#ff0000", 0)).toBe("#ffffff");
  });

  it("draws regions, points and a legend as standalone SVG that converts to PNG", () => {
    const svg = decisionBoundary(
      {
        grid: GRID,
        points: [
          { x: 0.5, y: 0.5, label: 0 },
          { x: 3.5, y: -0.5, label: 1 },
        ],
        classCount: 2,
      },
      { document: nodeDocument(), width: 640, height: 480 },
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("class 0");
    expect(svg).toContain("output not finite");
    expect(svg.match(/<circle/g)?.length ?? 0).toBeGreaterThanOrEqual(2 + 2);
    const png = svgToPng(svg);
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    if (process.env.GRADSCOPE_FIGURE_OUT) writeFileSync(process.env.GRADSCOPE_FIGURE_OUT, png);
  });
});
