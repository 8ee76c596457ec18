import { describe, expect, it } from "vitest";
import { nodeDocument } from "../node-dom.ts";
import { logCellEdges, logTicks, usesLogAxis } from "./phase-axis.ts";
import { CHI1_THRESHOLDS_WIDE, phaseDiagram } from "./phase-diagram.ts";
import { rowRuns } from "./row-runs.ts";

const document = nodeDocument();

/** The fill rectangles of the figure (Plot's rect mark), as {x, width, fill}. */
function cellRects(svg: string): { x: number; width: number; fill: string }[] {
  const group = /<g shape-rendering="crispEdges" aria-label="rect">(.*?)<\/g>/s.exec(svg)?.[1];
  return [...(group ?? "").matchAll(/<rect ([^>]*)\/>/g)].map((m) => {
    const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(m[1]!)?.[1] ?? "";
    return { x: Number(attr("x")), width: Number(attr("width")), fill: attr("fill") };
  });
}

function tickLabels(svg: string): string[] {
  const group = /aria-label="x-axis tick label">(.*?)<\/g>/s.exec(svg)?.[1] ?? "";
  return [...group.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

/** A 46 x 3 geometric grid 0.25..128 with chi1 = sigma_w^2 / 16 (critical at 16). */
function geometricGrid() {
  const weightVars = Array.from({ length: 46 }, (_, i) => 0.25 * 512 ** (i / 45));
  const grid = [];
  for (const biasVar of [0, 0.25, 0.5])
    for (const weightVar of weightVars) grid.push({ weightVar, biasVar, chi1: weightVar / 16 });
  return { weightVars, grid };
}

describe("row runs", () => {
  it("merges equal neighbours and skips missing cells", () => {
    const keys = ["a", "a", undefined, "b", "b", "b", "a"];
    expect(rowRuns(keys.length, (i) => keys[i])).toEqual([
      { start: 0, end: 2, key: "a" },
      { start: 3, end: 6, key: "b" },
      { start: 6, end: 7, key: "a" },
    ]);
    expect(rowRuns(0, () => "a")).toEqual([]);
    expect(rowRuns(1, () => 7)).toEqual([{ start: 0, end: 1, key: 7 }]);
  });
});

describe("phase-diagram weight axis", () => {
  it("goes log past 1.6 decades", () => {
    expect(usesLogAxis(0.25, 8)).toBe(false);
    expect(usesLogAxis(0.25, 16)).toBe(true);
    expect(usesLogAxis(0, 128)).toBe(false);
  });

  it("puts cell edges at geometric midpoints", () => {
    const edges = logCellEdges([1, 4, 16]);
    expect(edges.map((e) => Number(e.toPrecision(12)))).toEqual([0.5, 2, 8, 32]);
  });

  it("ticks at 1, 2, 5 times powers of ten up to 3.5 decades, powers of ten beyond", () => {
    expect(logTicks(0.2, 140)).toEqual([0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks(0.05, 300)).toEqual([0.1, 1, 10, 100]);
  });
});

describe("phase diagram figure", () => {
  it("draws one rectangle per run of equal colour in a row", () => {
    const { grid } = geometricGrid();
    const svg = phaseDiagram({ grid, criticalLine: [] }, { document });
    const rects = cellRects(svg);
    // chi1 = w / 16 is the same in every row and rises along it: one rect per colour bin the
    // row reaches, in each of the 3 rows (138 cells).
    const bins = new Set(
      geometricGrid().weightVars.map((w) => CHI1_THRESHOLDS_WIDE.filter((t) => w / 16 >= t).length),
    );
    const perRow = new Set(rects.map((r) => r.fill)).size;
    expect(perRow).toBe(bins.size);
    expect(perRow).toBeGreaterThan(5);
    expect(rects).toHaveLength(3 * perRow);
    // The runs of a row tile the plot's width.
    const width = rects.slice(0, perRow).reduce((s, r) => s + r.width, 0);
    expect(width).toBeCloseTo(696, 0);
  });

  it("draws a wide grid on a log axis with readable ticks and even cells", () => {
    const { grid } = geometricGrid();
    const svg = phaseDiagram(
      {
        grid,
        criticalLine: [0, 0.5].map((biasVar) => ({ weightVar: 16, biasVar })),
        marker: { weightVar: 2, biasVar: 0.25 },
      },
      { document },
    );
    expect(svg).toContain("weight variance σ_w² (log scale)");
    expect(tickLabels(svg)).toEqual(["0.5", "1", "2", "5", "10", "20", "50", "100"]);
    // Geometric cells are even on the log axis: the plot is 696 px over 46 cells, so the
    // marker at 2 = 0.25 * 512^(15/45) sits at the centre of cell 15: 80 + 15.5 * 696 / 46.
    const cx = Number(/<circle r="7" cy="[^"]*" cx="([^"]*)"/.exec(svg)?.[1]);
    expect(cx).toBeCloseTo(80 + (15.5 * 696) / 46, 0);
    // The critical line at 16 = 0.25 * 512^(30/45) likewise: the centre of cell 30.
    const line = /aria-label="line"><path d="M([\d.]+),/.exec(svg)?.[1];
    expect(Number(line)).toBeCloseTo(80 + (30.5 * 696) / 46, 0);
  });

  it("keeps a linear axis for a narrow grid", () => {
    const grid = [1, 2, 3, 4].map((weightVar) => ({ weightVar, biasVar: 0, chi1: weightVar / 2 }));
    const svg = phaseDiagram({ grid, criticalLine: [] }, { document });
    expect(svg).toContain("weight variance σ_w²");
    expect(svg).not.toContain("(log scale)");
    expect(tickLabels(svg)).toEqual(["1", "2", "3", "4"]);
  });
});
