import { describe, expect, it } from "vitest";
import { clipValue } from "./clip-value.ts";
import { rowParam } from "./test-params.ts";

describe("clipValue", () => {
  it("clamps entries to [-v, v] and counts them", () => {
    const a = rowParam("a", [0, 0, 0, 0], [0.5, -2, 3, -0.25]);
    const b = rowParam("b", [0, 0, 0], [Infinity, Number.NaN, 1], "f32");
    expect(clipValue([a, b], 1)).toBe(3);
    expect(Array.from(a.grad.data)).toEqual([0.5, -1, 1, -0.25]);
    expect(Array.from(b.grad.data)).toEqual([1, Number.NaN, 1]);
    expect(clipValue([a, b], 1)).toBe(0);
  });

  it("rejects a non-positive bound", () => {
    expect(() => clipValue([], 0)).toThrow(/maxValue/);
  });
});
