import { describe, expect, it } from "vitest";
import { ConfigError } from "../config.ts";
import { transformerConfig } from "./config.ts";
import { runTransformerProbe } from "./probe.ts";

const small = { depth: 6, width: 16, heads: 2, ffnWidth: 32, seqLen: 6, batch: 4, vocab: 5 };

describe("transformer config", () => {
  it("rejects a width not divisible by the heads in one line", () => {
    expect(() => transformerConfig({ width: 10, heads: 4 })).toThrow(ConfigError);
    expect(() => transformerConfig({ width: 10, heads: 4 })).toThrow(
      /^width 10 is not divisible by heads 4[^\n]*$/,
    );
    expect(() => transformerConfig({ normPosition: "middle" as "pre" })).toThrow(
      /normPosition must be one of: post, pre, deepnorm/,
    );
    expect(() => transformerConfig({ depth: 0 })).toThrow(/depth must be an integer between 1/);
  });
});

describe("runTransformerProbe", () => {
  for (const normPosition of ["post", "pre", "deepnorm"] as const) {
    it(`${normPosition}: one entry per block with attention and FFN sub-entries and a verdict`, () => {
      const r = runTransformerProbe(transformerConfig({ ...small, normPosition }));
      expect(r.layers).toHaveLength(6);
      const m = r.layers[5]!;
      expect(m.layer).toBe(6);
      expect(m.gradWeightNorm).toBe(m.ffn.gradW2Norm);
      expect(m.gradWeightNorm).toBe(m.gradNorms["ffn.W2"]);
      expect(Object.keys(m.gradNorms)).toHaveLength(16);
      expect(m.gradInputMeanSq).toBeGreaterThan(0);
      expect(m.q).toBeGreaterThan(0);
      // attention weights are a distribution over T = 6 keys
      expect(m.attention.entropy).toBeGreaterThan(0);
      expect(m.attention.entropy).toBeLessThanOrEqual(Math.log(6) + 1e-12);
      expect(m.attention.maxWeight).toBeGreaterThanOrEqual(1 / 6);
      expect(m.ffn.dead).toBeGreaterThanOrEqual(0);
      expect(r.summary.depth).toBe(6);
      expect(r.summary.message).toMatch(/block/);
      expect(Number.isFinite(r.summary.loss)).toBe(true);
    });
  }

  it("is deterministic from the seed, and f32 agrees with f64 to float32 precision", () => {
    const a = runTransformerProbe(transformerConfig({ ...small, normPosition: "pre" }));
    const b = runTransformerProbe(transformerConfig({ ...small, normPosition: "pre" }));
    expect(b.layers.map((m) => m.gradWeightNorm)).toEqual(a.layers.map((m) => m.gradWeightNorm));
    const c = runTransformerProbe(
      transformerConfig({ ...small, normPosition: "pre", dtype: "f32" }),
    );
    a.layers.forEach((m, i) => {
      expect(Math.abs(c.layers[i]!.gradWeightNorm / m.gradWeightNorm - 1)).toBeLessThan(1e-4);
    });
  });
});
