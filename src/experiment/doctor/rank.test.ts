import { describe, expect, it } from "vitest";
import { rankInTiers } from "./rank.ts";
import { clears } from "./stats.ts";

describe("rankInTiers", () => {
  it("places an item above another only when it beats it clearly; ties keep the fixed order", () => {
    // accuracy per seed of four remedies (the seed story's shape)
    const acc = [
      [0.855, 0.985, 1.0], // 0: ReLU + He, noisy
      [0.995, 1.0, 0.98], // 1: batch norm
      [0.605, 0.555, 0.585], // 2: residual
      [0.96, 0.995, 0.99], // 3: leaky ReLU + He
    ];
    const beats = (a: number, b: number) =>
      clears(
        acc[a]!.map((v, i) => v - acc[b]![i]!),
        0.07,
      );
    const { order, rank } = rankInTiers(acc.length, beats, (a, b) => a - b);
    // 0, 1 and 3 are within the margin and noise of each other: one tier, in the fixed order
    expect(order).toEqual([0, 1, 3, 2]);
    expect(rank).toEqual([1, 1, 4, 1]);
  });

  it("orders clearly separated items by the relation, whatever the fixed order says", () => {
    const mean = [0.2, 0.9, 0.5];
    const beats = (a: number, b: number) => mean[a]! - mean[b]! > 0.1;
    const { order, rank } = rankInTiers(3, beats, (a, b) => a - b);
    expect(order).toEqual([1, 2, 0]);
    expect(rank).toEqual([3, 1, 2]);
    expect(rankInTiers(0, beats, (a, b) => a - b)).toEqual({ order: [], rank: [] });
  });
});
