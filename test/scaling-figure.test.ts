import { describe, expect, it } from "vitest";
import {
  BASE,
  fittedExponent,
  msTicks,
  parseScaling,
  parseSpec,
  pickSeries,
  ScalingInputError,
  scalingFigure,
  scalingTable,
} from "../bench/scaling-figure.ts";
import { nodeDocument } from "../src/report/node-dom.ts";

/** A `scaling` entry as bench/run.ts writes it. */
const entry = (depth: number, width: number, batch: number, ms: number, dtype = "f32") => ({
  spec: `depth ${depth} width ${width} batch ${batch} ${dtype}`,
  stepsPerSec: 1000 / ms,
  msPerStep: ms,
});

/** Depth and batch exactly linear, width exactly quadratic, around 8 ms at W; plus f64. */
const results = {
  date: "2026-11-29T00:00:00.000Z",
  scaling: [
    entry(5, 256, 128, 2),
    entry(10, 256, 128, 4),
    entry(20, 256, 128, 8),
    entry(40, 256, 128, 16),
    entry(20, 128, 128, 2),
    entry(20, 512, 128, 32),
    entry(20, 256, 64, 4),
    entry(20, 256, 256, 16),
    entry(20, 256, 128, 24, "f64"),
  ],
};

describe("scaling figure input", () => {
  it("parses the bench's spec strings and rejects anything else", () => {
    expect(parseSpec("depth 20 width 256 batch 128 f32")).toEqual({
      depth: 20,
      width: 256,
      batch: 128,
      dtype: "f32",
    });
    expect(parseSpec("depth 80 width 1024 batch 16 f64")).toEqual({
      depth: 80,
      width: 1024,
      batch: 16,
      dtype: "f64",
    });
    expect(parseSpec("depth 20 width 256 batch 128 f16")).toBeNull();
    expect(parseSpec("W: 256-20x256 tanh-10, batch 128, f32")).toBeNull();
    expect(parseSpec("")).toBeNull();
  });

  it("reads msPerStep, falls back to stepsPerSec, and skips unusable entries", () => {
    const points = parseScaling({
      scaling: [
        { spec: "depth 20 width 256 batch 128 f32", msPerStep: 8 },
        { spec: "depth 10 width 256 batch 128 f32", stepsPerSec: 250 },
        { spec: "not a spec", msPerStep: 1 },
        { spec: "depth 40 width 256 batch 128 f32", msPerStep: 0 },
        null,
      ],
    });
    expect(points).toEqual([
      { ...BASE, msPerStep: 8 },
      { ...BASE, depth: 10, msPerStep: 4 },
    ]);
  });

  it("throws a ScalingInputError without a scaling array or a base point", () => {
    expect(() => parseScaling({ rows: [] })).toThrow(ScalingInputError);
    expect(() => parseScaling(null)).toThrow(/no `scaling` array/);
    expect(() => pickSeries(parseScaling({ scaling: [entry(5, 256, 128, 2)] }))).toThrow(
      /no point for the base workload/,
    );
  });

  it("splits the points into three sorted series that all hold the base point", () => {
    const data = pickSeries(parseScaling(results));
    expect(data.baseMs).toBe(8);
    const byParam = Object.fromEntries(
      data.series.map((s) => [s.param, s.points.map((p) => p.value)]),
    );
    expect(byParam).toEqual({
      depth: [5, 10, 20, 40],
      width: [128, 256, 512],
      batch: [64, 128, 256],
    });
    const width = data.series.find((s) => s.param === "width")!;
    expect(width.points.map((p) => p.ratio)).toEqual([0.25, 1, 4]);
    expect(width.points.map((p) => p.naiveRatio)).toEqual([0.25, 1, 4]);
    // The f64 point is on no series but still listed against the base.
    expect(data.others).toHaveLength(1);
    expect(data.others[0]!.point.dtype).toBe("f64");
    expect(data.others[0]!.ratio).toBe(3);
  });

  it("fits the log-log slope of each series", () => {
    const data = pickSeries(parseScaling(results));
    const slopes = Object.fromEntries(data.series.map((s) => [s.param, fittedExponent(s.points)]));
    expect(slopes["depth"]).toBeCloseTo(1, 12);
    expect(slopes["width"]).toBeCloseTo(2, 12);
    expect(slopes["batch"]).toBeCloseTo(1, 12);
  });

  it("prints one table row per point with its ratio to W", () => {
    const table = scalingTable(pickSeries(parseScaling(results)));
    const rows = table.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| varied"));
    expect(rows).toHaveLength(4 + 3 + 3 + 1);
    expect(table).toContain("| width | 512 | 32.00 | 4.00 | 4.00 | 2.00 (2) |");
    expect(table).toContain("| depth | 20 (W) | 8.00 | 1.00 | 1.00 | 1.00 (1) |");
    expect(table).toContain("| (other) | depth 20 width 256 batch 128 f64 | 24.00 | 3.00 |");
  });

  it("labels log ticks plainly and draws a panel per series", () => {
    expect(msTicks(0.8, 60)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(msTicks(0.2, 700)).toEqual([0.3, 1, 3, 10, 30, 100, 300]);
    const svg = scalingFigure(pickSeries(parseScaling(results)), { document: nodeDocument() });
    for (const label of ["depth varied", "width varied", "batch varied", "∝ width²"]) {
      expect(svg).toContain(label);
    }
    const xLabels = [...svg.matchAll(/aria-label="x-axis tick label"[^>]*>(.*?)<\/g>/gs)].map((m) =>
      [...m[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]),
    );
    expect(xLabels).toEqual([
      ["5", "10", "20", "40"],
      ["128", "256", "512"],
      ["64", "128", "256"],
    ]);
  });
});
