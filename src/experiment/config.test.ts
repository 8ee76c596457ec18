import { describe, expect, it } from "vitest";
import { ConfigError, networkShape, resolveProbeConfig } from "./config.ts";

describe("probe config", () => {
  it("fills defaults", () => {
    const c = resolveProbeConfig({});
    expect(c).toMatchObject({
      depth: 20,
      width: 128,
      batch: 64,
      activation: "tanh",
      init: "normal",
      weightVar: 1,
      biasVar: 0,
      dtype: "f64",
      loss: "random-projection",
      repeats: 1,
    });
    expect(networkShape(c)).toEqual({ inputDim: 128, outputs: 0 });
  });
  it("parses CLI strings", () => {
    const c = resolveProbeConfig(
      { depth: "50", weightVar: "1.5", batchNorm: true, activation: "relu" },
      "flag",
    );
    expect(c.depth).toBe(50);
    expect(c.weightVar).toBe(1.5);
    expect(c.batchNorm).toBe(true);
  });
  const bad: [Record<string, unknown>, string][] = [
    [
      { activation: "foo" },
      "--activation must be one of: identity, sigmoid, tanh, relu, leaky-relu, elu, selu, gelu, softplus, swish (got 'foo')",
    ],
    [{ depth: "0" }, "--depth must be between 1 and 10000 (got '0')"],
    [{ depth: "2.5" }, "--depth must be an integer (got '2.5')"],
    [{ weightVar: "-1" }, "--weight-var must be >= 0 (got '-1')"],
    [{ width: "abc" }, "--width must be a number (got 'abc')"],
    [{ batchNorm: true, layerNorm: true }, "--batch-norm and --layer-norm cannot both be on"],
    [{ batchNorm: true, batch: "1" }, "--batch-norm needs --batch of at least 2 (got 1)"],
    [
      { outputs: "3" },
      "--outputs needs --loss mse or cross-entropy (random-projection has no readout)",
    ],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)} with one line naming the flag`, () => {
      expect(() => resolveProbeConfig(input, "flag")).toThrow(new ConfigError(message));
    });
  }
  it("names JSON keys, not flags, for config files and rejects unknown keys", () => {
    expect(() => resolveProbeConfig({ weightVar: -2 })).toThrow("weightVar must be >= 0 (got -2)");
    expect(() => resolveProbeConfig({ dept: 3 })).toThrow(/unknown config key 'dept'/);
    expect(() => resolveProbeConfig({ depth: "3" })).not.toThrow();
    expect(() => resolveProbeConfig({ residual: "yes" })).toThrow(
      "residual must be true or false (got 'yes')",
    );
  });
  it("gives readouts their default sizes", () => {
    expect(networkShape(resolveProbeConfig({ loss: "mse" })).outputs).toBe(1);
    expect(networkShape(resolveProbeConfig({ loss: "cross-entropy" })).outputs).toBe(10);
    expect(
      networkShape(resolveProbeConfig({ loss: "cross-entropy", outputs: 3, inputDim: 2 })),
    ).toEqual({ inputDim: 2, outputs: 3 });
  });
});
