import { describe, expect, it } from "vitest";
import { binMax, binStarts, envelope } from "./downsample.ts";
import { findSpikes, firstNonFinite } from "./spikes.ts";

describe("spike rule: > 10x the median of the previous 50 finite values", () => {
  it("finds a single spike and not the steady values around it", () => {
    const v = Array.from({ length: 100 }, (_, i) => 1 + 0.1 * Math.sin(i));
    v[60] = 10.5; // > 10 x ~1
    v[70] = 9; // < 10 x
    expect(findSpikes(v)).toEqual([60]);
  });

  it("needs 5 values of history, and a median is not raised by an earlier spike", () => {
    expect(findSpikes([1, 100, 1, 1, 1])).toEqual([]);
    const v = [1, 1, 1, 1, 1, 100, 1, 100, 1];
    expect(findSpikes(v)).toEqual([5, 7]);
  });

  it("judges magnitudes (negative losses) and skips NaN/Inf", () => {
    const v = [-1, -1.2, -0.9, -1, -1.1, -50, Number.NaN, Number.POSITIVE_INFINITY, -1];
    expect(findSpikes(v)).toEqual([5]);
    expect(firstNonFinite(v)).toBe(6);
    expect(firstNonFinite([1, 2])).toBe(-1);
  });

  it("follows a slow trend: growth over many steps is not a spike", () => {
    const v = Array.from({ length: 400 }, (_, i) => 1.02 ** i); // 2700x overall
    expect(findSpikes(v)).toEqual([]);
  });

  it("uses a window: a level reached 50 values ago is the new normal", () => {
    const v = [...Array(10).fill(1), ...Array(100).fill(20)];
    const spikes = findSpikes(v);
    // the first ~half-window of the jump is a spike, then the median catches up
    expect(spikes[0]).toBe(10);
    expect(spikes.at(-1)!).toBeLessThan(40);
  });
});

describe("downsampling for drawing", () => {
  it("cuts n items into at most `columns` bins", () => {
    expect(binStarts(10, 4)).toEqual([0, 3, 5, 8, 10]);
    expect(binStarts(3, 100)).toEqual([0, 1, 2, 3]);
    expect(binStarts(0, 10)).toEqual([0]);
  });

  it("keeps each bin's lowest and highest value, so a spike survives", () => {
    const steps = Array.from({ length: 1000 }, (_, i) => i + 1);
    const v = steps.map(() => 1);
    v[537] = 500;
    const pts = envelope(steps, v, binStarts(1000, 50));
    expect(pts.length).toBeLessThanOrEqual(100);
    expect(pts).toContainEqual({ x: 538, y: 500 });
  });

  it("a heatmap bin with NaN/Inf is NaN; unmeasured values are skipped", () => {
    const v = [1, 2, Number.NaN, 4, -1, -1];
    const starts = [0, 2, 4, 6];
    expect(binMax(v, starts, (i) => v[i] === -1)).toEqual([2, Number.NaN, undefined]);
  });
});
