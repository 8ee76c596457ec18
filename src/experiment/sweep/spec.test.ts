import { describe, expect, it } from "vitest";
import { ConfigError } from "../config.ts";
import {
  gridFromVary,
  parseAxisValues,
  parseShard,
  planSweep,
  shardPoints,
  specFromJson,
} from "./spec.ts";

describe("sweep spec", () => {
  it("ranges are inclusive and free of binary noise", () => {
    expect(parseAxisValues("weightVar", "1:2:0.1")).toEqual([
      1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2,
    ]);
    expect(parseAxisValues("depth", "10:50:20")).toEqual([10, 30, 50]);
    expect(parseAxisValues("activation", "tanh,relu")).toEqual(["tanh", "relu"]);
    expect(() => parseAxisValues("depth", "10:5:1")).toThrow(ConfigError);
    expect(() => parseAxisValues("depth", "1:5:0")).toThrow(/step must be > 0/);
  });

  it("a grid is the cartesian product, seeds innermost, each config validated and hashed", () => {
    const plan = planSweep({
      mode: "train",
      base: { width: 8, steps: 5 },
      grid: gridFromVary(["depth=2,3", "weightVar=1:2:1"]),
      seeds: [0, 1],
    });
    expect(plan.axes).toEqual(["depth", "weightVar"]);
    expect(plan.points.map((p) => [p.changes["depth"], p.changes["weightVar"], p.seed])).toEqual([
      [2, 1, 0],
      [2, 1, 1],
      [2, 2, 0],
      [2, 2, 1],
      [3, 1, 0],
      [3, 1, 1],
      [3, 2, 0],
      [3, 2, 1],
    ]);
    expect(new Set(plan.points.map((p) => p.hash)).size).toBe(8);
    // the same values typed as strings resolve to the same configs and hashes
    const again = planSweep({
      mode: "train",
      base: { width: "8", steps: 5 },
      grid: { depth: ["2", "3"], weightVar: [1, 2] },
      seeds: [0, 1],
    });
    expect(again.points.map((p) => p.hash)).toEqual(plan.points.map((p) => p.hash));
    expect(() => planSweep({ mode: "train", base: {}, grid: { depth: [0] }, seeds: [0] })).toThrow(
      /depth.*\(at depth=0\)/,
    );
  });

  it("random search is seeded; spec files are checked key by key", () => {
    const spec = specFromJson({
      base: { width: 8 },
      random: {
        samples: 5,
        seed: 3,
        space: { weightVar: { min: 1, max: 4 }, depth: { min: 2, max: 9, int: true } },
      },
      seeds: 2,
    });
    const a = planSweep(spec);
    const b = planSweep(spec);
    expect(a.points.length).toBe(10);
    expect(a.points.map((p) => p.hash)).toEqual(b.points.map((p) => p.hash));
    for (const p of a.points) expect(Number.isInteger(p.changes["depth"])).toBe(true);
    expect(() => specFromJson({ grids: {} })).toThrow(/unknown key 'grids'/);
  });

  it("shards split the points, every point in exactly one", () => {
    const plan = planSweep({
      mode: "probe",
      base: { width: 4 },
      grid: { depth: [1, 2, 3, 4, 5, 6, 7] },
      seeds: [0],
    });
    const all = [0, 1, 2].flatMap((i) =>
      shardPoints(plan.points, { index: i, count: 3 }).map((p) => p.index),
    );
    expect(all.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    expect(() => parseShard("3/3")).toThrow(/0 <= I < N/);
  });
});
